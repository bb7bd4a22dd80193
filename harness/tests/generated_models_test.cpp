// Generated models in suites: a suite line {"name", "synth": {...}} is generated once with quant-synth's
// generator and cached under .cache/models keyed by every input (generator version included); its sha256
// lands in provenance, every figure from it is labelled "synthetic weights", quality is not planned on
// it; per-model texts, KV pairs and speed settings; quant's "wrong KV type" warning beside the cell.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <functional>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/judge/counts_calibrate.h"
#include "harness/plan/cells.h"
#include "harness/plan/inputs.h"
#include "harness/sweep/journal.h"
#include "harness/plan/plan_estimate.h"
#include "harness/report/report.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness/plan/suite.h"
#include "faults_test_support.h"
#include "harness_test_support.h"
#include "quant/error.h"
#include "quant/sha256.h"
#include "quant/synthetic_model.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

const nlohmann::json kTinySynth = {{"name", "gen"}, {"synth", {{"preset", "tiny"}, {"type", "Q8_0"}, {"seed", 3}}}};

using test::error_of;  // "" when nothing is thrown

SynthModel tiny(uint64_t seed = 3) { return SynthModel{"tiny", "Q8_0", 0, 0, seed}; }

TEST(GeneratedModel, CacheKeyCoversEveryInput) {
  const std::string base = synth_cache_key(tiny());
  EXPECT_EQ(base, synth_cache_key(tiny())) << "same inputs, same key";
  std::vector<SynthModel> changed(5, tiny());
  changed[0].preset = "smollm2-135m";
  changed[1].type = "Q4_0";
  changed[2].layers = 1;
  changed[3].ctx = 128;
  changed[4].seed = 4;
  for (const auto& m : changed) EXPECT_NE(synth_cache_key(m), base) << synth_command(m);
  EXPECT_NE(synth_command(tiny()).find("generator version " + std::to_string(kSyntheticGeneratorVersion)),
            std::string::npos);
}

TEST(GeneratedModel, GeneratedOnceDeterministicAndCached) {
  const std::string root = test::temp_dir("gen-cache");
  std::ostringstream log;
  const std::string path = generate_model(tiny(), root, log);
  EXPECT_EQ(fs::path(path).parent_path(), fs::path(root) / ".cache" / "models");
  EXPECT_NE(log.str().find("generating"), std::string::npos);
  // The bytes are those quant-synth writes for the same flags.
  const std::string direct = root + "/direct.gguf";
  make_synthetic_model(*synthetic_spec("tiny", "Q8_0", 0, 0, 3)).write(direct);
  EXPECT_EQ(sha256_file(path), sha256_file(direct));
  // Cached: a second call neither logs nor rewrites.
  const auto written = fs::last_write_time(path);
  std::ostringstream again;
  EXPECT_EQ(generate_model(tiny(), root, again), path);
  EXPECT_EQ(again.str(), "");
  EXPECT_EQ(fs::last_write_time(path), written);
  // Another input, another file with other bytes.
  std::ostringstream other;
  const std::string path4 = generate_model(tiny(4), root, other);
  EXPECT_NE(path4, path);
  EXPECT_NE(sha256_file(path4), sha256_file(path));
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(e.path().extension(), ".gguf") << "no partial file left behind: " << e.path();
}

class SuiteModels : public ::testing::Test {
 protected:
  void SetUp() override { project_ = test::make_fake_project("suite-models"); }
  Suite load(const nlohmann::json& models, const nlohmann::json& extra = {}) {
    auto j = nlohmann::json::parse(test::read_file(project_.suite_file));
    j["models"] = models;
    for (const auto& [k, v] : extra.items()) j[k] = v;
    test::write_file(project_.suite_file, j.dump());
    return load_suite(project_.suite_file, load_variants(project_.variants_file));
  }
  std::string error(const nlohmann::json& models) {
    return error_of([&] { load(models); });
  }
  test::FakeProject project_;
};

TEST_F(SuiteModels, BadModelLinesNameTheFieldAndProblem) {
  auto e = error({{{"name", "g"}, {"synth", {{"preset", "gpt-9"}, {"type", "Q4_0"}}}}});
  EXPECT_NE(e.find("$.models[0].synth.preset: unknown preset 'gpt-9' (valid: tinyllama-1.1b"), std::string::npos) << e;
  e = error({{{"name", "g"}, {"synth", {{"preset", "tiny"}, {"type", "Q3_X"}}}}});
  EXPECT_NE(e.find("$.models[0].synth.type: unknown weight type 'Q3_X'"), std::string::npos) << e;
  e = error({{{"name", "g"}, {"file", "g.gguf"}, {"synth", {{"preset", "tiny"}, {"type", "Q4_0"}}}}});
  EXPECT_NE(e.find("$.models[0]: give \"file\" or \"synth\", not both"), std::string::npos) << e;
  e = error({{{"name", "g"}, {"synth", {{"preset", "tiny"}, {"type", "Q4_0"}, {"layer", 2}}}}});
  EXPECT_NE(e.find("$.models[0].synth.layer"), std::string::npos) << e;
  e = error({{{"name", "tiny"}, {"file", "tiny.gguf"}, {"texts", {"nope"}}}});
  EXPECT_NE(e.find("$.models[0].texts[0]: text 'nope' is not in the suite's \"texts\""), std::string::npos) << e;
  e = error({{{"name", "g"}, {"synth", {{"preset", "tiny"}, {"type", "Q4_0"}}}, {"texts", {"tiny"}}}});
  EXPECT_NE(e.find("$.models[0].texts: a generated model has synthetic weights"), std::string::npos) << e;
  e = error({{{"name", "tiny"}, {"file", "tiny.gguf"}, {"speed", {{"n_prompt", 0}, {"n_gen", 0}}}}});
  EXPECT_NE(e.find("$.models[0].speed: n_prompt and n_gen are both 0"), std::string::npos) << e;
}

TEST_F(SuiteModels, EachModelLineRefinesTextsKvAndSpeed) {
  const Suite s = load({{{"name", "tiny"}, {"file", "tiny.gguf"}, {"texts", {"tiny"}}},
                        {{"name", "gen"},
                         {"synth", {{"preset", "tiny"}, {"type", "Q8_0"}, {"seed", 3}}},
                         {"kv", {"fp32", {{"k", "turbo_kv_4b"}, {"v", "fp16"}}}},
                         {"speed", {{"n_gen", 4}, {"depths", {0, 32}}}}}});
  test::FakeSearchPath paths(project_);
  std::ostringstream log;
  const Inputs in = resolve_inputs(s, project_.root, log);
  const Resource* g = in.model("gen");
  ASSERT_TRUE(g && g->found()) << log.str();
  EXPECT_TRUE(g->synthetic);
  EXPECT_EQ(g->sha256, sha256_file(g->path));
  EXPECT_NE(g->generated_by.find("quant-synth --preset tiny --type Q8_0 --seed 3"), std::string::npos);
  int gen_ppl = 0, gen_speed = 0, tiny_speed = 0;
  for (const auto& c : plan_cells(s, in)) {
    if (c.model == "gen") {
      gen_ppl += c.metric == Metric::ppl;
      if (c.metric != Metric::speed) continue;
      ++gen_speed;
      EXPECT_TRUE(c.kv == (KvPair{"fp32", "fp32"}) || c.kv == (KvPair{"turbo_kv_4b", "fp16"})) << c.id;
      EXPECT_EQ(c.n_gen, 4);
      EXPECT_EQ(c.n_prompt, 16) << "fields the model line leaves out are the suite's";
    } else if (c.metric == Metric::speed) {
      ++tiny_speed;
      EXPECT_EQ(c.n_gen, 8);
    }
  }
  EXPECT_EQ(gen_ppl, 0) << "quality is refused on synthetic weights";
  EXPECT_EQ(gen_speed, 4);
  EXPECT_EQ(tiny_speed, 3);
  // Listing the plan generates nothing.
  fs::remove_all(fs::path(project_.root) / ".cache");
  std::ostringstream plan_log;
  const Inputs listed = resolve_inputs(s, project_.root, plan_log, false);
  EXPECT_FALSE(listed.model("gen")->found());
  EXPECT_FALSE(fs::exists(fs::path(project_.root) / ".cache" / "models"));
  EXPECT_EQ(plan_cells(s, listed).size(), plan_cells(s, in).size());
}

// A sweep over a generated model with fake_quant: provenance, labels and the warning beside the cell.
TEST_F(SuiteModels, SweepRecordsProvenanceLabelsAndWarnings) {
  load({{{"name", "tiny"}, {"file", "tiny.gguf"}}, kTinySynth},
       {{"kv", {"fp32", {{"k", "turbo_kv_4b"}, {"v", "fp16"}}}}});
  test::FakeSearchPath paths(project_);
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(project_.options("run"), log).results;
  std::fclose(log);
  const Resource* g = r.inputs.model("gen");
  ASSERT_TRUE(g && g->found());
  EXPECT_EQ(g->sha256, sha256_file(g->path));
  const std::string results_path = project_.root + "/out.json";
  test::write_file(results_path, results_to_json(r, to_json(analyze(r))).dump());
  const Results back = load_results(results_path);
  EXPECT_EQ(back.inputs.model("gen")->generated_by, g->generated_by);
  EXPECT_TRUE(back.inputs.model("gen")->synthetic);

  const std::string md = render_report(back, analyze(back));
  EXPECT_NE(md.find("Model `gen` (synthetic weights)"), std::string::npos);
  EXPECT_NE(md.find("sha256 " + g->sha256.substr(0, 12)), std::string::npos);
  EXPECT_NE(md.find(g->generated_by), std::string::npos);
  EXPECT_NE(md.find("## Across model sizes"), std::string::npos);
  // fake_quant reports head_dim 8: turbo_kv_4b keys are warned about, fp32 is not.
  EXPECT_NE(md.find("| turbo_kv_4b / fp16 ⚠ warned |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| fp32 / fp32 ⚠ warned |"), std::string::npos);
  EXPECT_NE(md.find("- -k turbo_kv_4b at head_dim 8: its blocks are whole head vectors"), std::string::npos) << md;
}

}  // namespace
}  // namespace quant::harness

namespace quant::harness {
namespace {

TEST(ShippedSuites, EverySuiteHasTheDefaultPairAndPrHasARealLayerShape) {
  const std::string root = QUANT_SOURCE_DIR;
  const VariantSet set = load_variants(root + "/harness/variants.json");
  for (const char* name : {"smoke", "pr", "release"}) {
    const Suite s = load_suite(suite_path(root, name), set);
    EXPECT_NE(std::find(s.kv.begin(), s.kv.end(), KvPair{"turbo_kv_4b", "fp16"}), s.kv.end()) << name;
  }
  const Suite pr = load_suite(suite_path(root, "pr"), set);
  const auto tl = std::find_if(pr.models.begin(), pr.models.end(), [](const SuiteFile& m) { return m.synth.has_value(); });
  ASSERT_NE(tl, pr.models.end());
  EXPECT_EQ(tl->synth->preset, "tinyllama-1.1b");
  EXPECT_EQ(tl->synth->type, "Q4_0");
  EXPECT_LE(tl->synth->layers, 4) << "few layers: the CI budget";
  ASSERT_TRUE(tl->speed);
  EXPECT_EQ(tl->speed->depths, (std::vector<int>{0, 1024}));
  const Suite release = load_suite(suite_path(root, "release"), set);
  int generated = 0;
  for (const auto& m : release.models) generated += m.synth.has_value();
  EXPECT_GE(release.models.size(), 6u);
  EXPECT_GE(generated, 4);
}

// calibrate's count runs use the suite cut down to its counts entry; it must still load, even where a
// model lists its own variants (pr: stories260K on cpu and llama.cpp only).
TEST(ShippedSuites, EveryCountsOnlySuiteLoads) {
  const std::string root = QUANT_SOURCE_DIR;
  const VariantSet set = load_variants(root + "/harness/variants.json");
  const std::string dir = test::temp_dir("counts-only-suites");
  int with_counts = 0;
  for (const char* name : {"smoke", "pr", "release"}) {
    const std::string out = dir + "/" + name + "-counts.json";
    if (write_counts_only_suite(suite_path(root, name), out).empty()) continue;
    ++with_counts;
    Suite s;
    ASSERT_NO_THROW(s = load_suite(out, set)) << name;
    EXPECT_EQ(s.variants, std::vector<std::string>{"counts"}) << name;
  }
  EXPECT_GE(with_counts, 1) << "the pr suite has count cells";
}

TEST(PlanEstimate, JournalTimesFirstThenModelSize) {
  const auto p = test::make_fake_project("estimate");
  test::FakeSearchPath paths(p);
  const Suite s = load_suite(p.suite_file, load_variants(p.variants_file));
  std::ostringstream log;
  const Inputs in = resolve_inputs(s, p.root, log);
  const auto cells = plan_cells(s, in);
  const std::string reports = p.root + "/reports";
  const PlanEstimate none = estimate_plan(cells, s, in, reports);
  EXPECT_EQ(none.from_journal, 0);
  EXPECT_EQ(none.from_model_size, static_cast<int>(cells.size()));
  EXPECT_GT(none.seconds, 0);
  int runs = 0;
  for (const auto& c : cells) runs += c.runs();
  EXPECT_EQ(none.runs, runs);
  // One cell measured before at 2 s per run: it counts 2 s per run, the rest keep their estimate.
  {
    // Written by the journal itself, so the estimate reads what sweeps write.
    Journal j = Journal::create(reports + "/old/journal.jsonl", JournalHeader{});
    for (const auto& [status, wall] : std::vector<std::pair<std::string, double>>{{"ok", 1.5}, {"ok", 2.5}, {"error", 90}}) {
      RunRecord r;
      r.cell = cells[0].id;
      r.status = status;
      r.wall_s = wall;
      j.append(r);
    }
  }
  const PlanEstimate some = estimate_plan(cells, s, in, reports);
  EXPECT_EQ(some.from_journal, 1);
  EXPECT_NEAR(some.seconds - none.seconds,
              cells[0].runs() * (2.0 - model_size_run_seconds(cells[0], model_cost(*in.model(cells[0].model), nullptr))),
              1e-9);
  // Per-cell figures add up to the total.
  double sum = 0;
  for (double c : some.cell_seconds) sum += c;
  EXPECT_EQ(some.cell_seconds.size(), cells.size());
  EXPECT_NEAR(sum, some.seconds, 1e-9);
  // A generated model not written yet is sized from its spec: TinyLlama-1.1B Q4_0 is about 0.6 GB.
  SuiteFile line{"tl", "", SynthModel{"tinyllama-1.1b", "Q4_0", 0, 0, 1}, {}, {}, {}, {}};
  const double bytes = model_weight_bytes(Resource{}, &line);
  EXPECT_GT(bytes, 0.55e9);
  EXPECT_LT(bytes, 0.7e9);
}

TEST(PlanEstimate, VariantFactorIsTheMedianRatioOnSharedCells) {
  const std::map<std::string, double> seen = {
      {"cpu/m/fp32,fp32/speed/p8n8/d0", 1.0},    {"vk/m/fp32,fp32/speed/p8n8/d0", 4.0},
      {"cpu/m/fp16,fp16/speed/p8n8/d0", 2.0},    {"vk/m/fp16,fp16/speed/p8n8/d0", 10.0},
      {"cpu/m/q8_0,q8_0/speed/p8n8/d0", 1.0},    {"vk/m/q8_0,q8_0/speed/p8n8/d0", 6.0},
      {"vk/m/q4_0,q4_0/speed/p8n8/d0", 100.0},  // no cpu twin: not counted
      {"peer/m/fp32,fp32/speed/p8n8/d0", 0.5}};
  const auto f = variant_factors(seen, "cpu");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_DOUBLE_EQ(f.at("vk"), 5.0);  // ratios 4, 5, 6
  EXPECT_DOUBLE_EQ(f.at("peer"), 0.5);
  EXPECT_TRUE(variant_factors(seen, "none").empty());
}

}  // namespace
}  // namespace quant::harness
