// verdict.json (schema bench-all.verdict, version 2) carries the compared figures as numbers, so bots and
// dashboards read them without parsing "19627 tok/s (n=5)".
#include <gtest/gtest.h>

#include "harness/store/baseline.h"
#include "harness/judge/compare.h"
#include "harness/stats/format.h"
#include "harness/judge/thresholds.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

TEST(VerdictJson, FiguresAreNumbers) {
  const Results base = load_results(test::fixture("results-release-small.json"));
  const GateReport g = compare_results(base, explicit_baseline(base, test::fixture("results-release-small.json")),
                                       load_thresholds(std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json"));
  const nlohmann::json j = gate_json(g);
  EXPECT_EQ(j.at("schema_version"), 2);
  int timing = 0, deterministic = 0;
  for (const auto& c : j.at("checks")) {
    if (c.at("kind") == "status") {
      EXPECT_TRUE(c.at("baseline").is_null()) << c;
      continue;
    }
    ASSERT_TRUE(c.at("baseline").is_number()) << c;
    ASSERT_TRUE(c.at("current").is_number()) << c;
    EXPECT_TRUE(c.at("baseline_text").is_string()) << c;
    if (c.contains("timing")) {
      ++timing;
      EXPECT_TRUE(c.at("unit") == "tok/s" || c.at("unit") == "ratio") << c;
      EXPECT_GE(c.at("n_current").get<int>(), 1) << c;
      // The same run against itself: the figures are equal, and the text shows the number.
      EXPECT_DOUBLE_EQ(c.at("baseline").get<double>(), c.at("current").get<double>()) << c;
    } else {
      ++deterministic;
      EXPECT_DOUBLE_EQ(c.at("baseline").get<double>(), c.at("current").get<double>()) << c;
      EXPECT_EQ(c.at("baseline_text").get<std::string>(), fmt("%.10g", c.at("baseline").get<double>())) << c;
    }
  }
  EXPECT_GT(timing, 0);
  EXPECT_GT(deterministic, 0);
}

}  // namespace
}  // namespace quant::harness
