// The measure name table: every measure has one name that reads back as itself, the claims spelling of
// the PPL delta is accepted, and an unknown name is an input error that says where it was read.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "harness/measure/sample.h"
#include "harness/plan/measures.h"
#include "quant/error.h"

using namespace quant;
using namespace quant::harness;

TEST(Measures, EveryMeasureRoundTripsThroughItsNames) {
  std::set<std::string> names;
  for (Measure m : all_measures()) {
    EXPECT_EQ(parse_measure(measure_name(m), "test"), m) << measure_name(m);
    EXPECT_EQ(parse_measure(claim_measure_name(m), "test"), m) << claim_measure_name(m);
    EXPECT_TRUE(names.insert(measure_name(m)).second) << "two measures named " << measure_name(m);
  }
  EXPECT_EQ(all_measures().size(), static_cast<size_t>(Measure::compression) + 1);
}

TEST(Measures, PplDeltaHasOneInternalNameAndAcceptsTheClaimsSpelling) {
  EXPECT_STREQ(measure_name(Measure::ppl_delta), "ppl_delta");
  EXPECT_STREQ(claim_measure_name(Measure::ppl_delta), "ppl_delta_pct");
  EXPECT_EQ(parse_measure("ppl_delta_pct", "claims.json"), Measure::ppl_delta);
  EXPECT_EQ(parse_measure("ppl_delta", "analysis.json"), Measure::ppl_delta);
}

TEST(Measures, UnknownNameIsAnInputErrorNamingWhereItWasRead) {
  try {
    parse_measure("tok_s", "suite.json: $.measure");
    FAIL() << "accepted an unknown measure";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("suite.json: $.measure: unknown measure 'tok_s' (valid: pp_tok_s, ", 0), 0u) << what;
  }
  Measure m{};
  EXPECT_FALSE(measure_from_name("", m));
}

TEST(Measures, OnlyTimingsAreTimings) {
  for (Measure m : all_measures())
    EXPECT_EQ(is_timing(m), m == Measure::pp_tok_s || m == Measure::tg_tok_s) << measure_name(m);
}

TEST(Measures, SampleAccessorReadsEachFigureFromItsPath) {
  const Sample s = parse_sample(nlohmann::json::parse(R"({
    "pp_tok_s": [10, 12], "tg_tok_s": [5], "ppl": 7.5, "ppl_uncertainty": 0.1, "n_scored": 100,
    "kld": {"mean_kld": 0.01, "kld_uncertainty": 0.001, "top1_agreement": 0.98, "ppl_delta": 0.2,
            "ppl_delta_uncertainty": 0.05, "ppl_base": 7.3},
    "tg_instr_per_token": 1000})"));
  EXPECT_EQ(sample_values(s, Measure::pp_tok_s), (std::vector<double>{10, 12}));
  EXPECT_EQ(sample_values(s, Measure::tg_tok_s), (std::vector<double>{5}));
  EXPECT_EQ(sample_values(s, Measure::ppl), (std::vector<double>{7.5}));
  EXPECT_EQ(sample_values(s, Measure::ppl_delta), (std::vector<double>{0.2}));
  EXPECT_EQ(sample_values(s, Measure::kld), (std::vector<double>{0.01}));
  EXPECT_EQ(sample_values(s, Measure::top1), (std::vector<double>{0.98}));
  EXPECT_EQ(sample_values(s, Measure::tg_instr_per_token), (std::vector<double>{1000}));
  EXPECT_TRUE(sample_values(s, Measure::pp_instr_per_token).empty()) << "absent";
  EXPECT_TRUE(sample_values(s, Measure::compression).empty()) << "not a sample figure";
  EXPECT_EQ(sample_uncertainty(s, Measure::ppl), 0.1);
  EXPECT_EQ(sample_uncertainty(s, Measure::ppl_delta), 0.05);
  EXPECT_EQ(sample_uncertainty(s, Measure::kld), 0.001);
  EXPECT_FALSE(sample_uncertainty(s, Measure::top1));
  EXPECT_EQ(s.paired->ppl_base, 7.3);
  EXPECT_EQ(s.n_scored, 100);
}

TEST(Measures, SpeedSampleHasNoQualityFigures) {
  const Sample s = parse_sample(nlohmann::json::parse(R"({"pp_tok_s": [], "tg_tok_s": [3, 4]})"));
  EXPECT_FALSE(s.ppl);
  EXPECT_FALSE(s.paired);
  EXPECT_TRUE(sample_values(s, Measure::kld).empty());
}

TEST(Measures, DirectionOfImprovement) {
  for (Measure m : {Measure::pp_tok_s, Measure::tg_tok_s, Measure::top1, Measure::speed_ratio, Measure::compression})
    EXPECT_TRUE(higher_is_better(m)) << measure_name(m);
  for (Measure m : {Measure::ppl, Measure::ppl_delta, Measure::kld, Measure::tg_instr_per_token, Measure::kv_bytes_per_token})
    EXPECT_FALSE(higher_is_better(m)) << measure_name(m);
}
