// The plan: cell ids, order, shards (disjoint, and together exactly the unsharded plan).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "harness/measure/quant_run.h"
#include "harness/plan/cells.h"
#include "harness_test_support.h"
#include "quant/error.h"
#include "quant/sha256.h"

namespace quant::harness {
namespace {

std::vector<Cell> plan_of(const test::FakeProject& p, Suite* out_suite = nullptr, Inputs* out_inputs = nullptr) {
  test::FakeSearchPath paths(p);
  const VariantSet vs = load_variants(p.variants_file);
  Suite s = load_suite(p.suite_file, vs);
  std::ostringstream log;
  Inputs in = resolve_inputs(s, p.root, log);
  auto cells = plan_cells(s, in);
  if (out_suite) *out_suite = s;
  if (out_inputs) *out_inputs = in;
  return cells;
}

TEST(Plan, ExpandsTheSuiteInAFixedOrder) {
  const auto p = test::make_fake_project("plan", {{"variants", {"cpu", "vulkan"}}});
  const auto cells = plan_of(p);
  // 3 KV pairs x 2 variants x (1 ppl context + 1 depth).
  ASSERT_EQ(cells.size(), 12u);
  EXPECT_EQ(cells[0].id, "cpu/tiny/fp32,fp32/ppl/tiny/c64");
  EXPECT_EQ(cells[1].id, "vulkan/tiny/fp32,fp32/ppl/tiny/c64");  // variants are innermost: compared builds run together
  EXPECT_EQ(cells[6].id, "cpu/tiny/fp32,fp32/speed/p16n8/d0");
  EXPECT_EQ(cells[6].runs(), 4);  // 3 reps + 1 warm-up
  std::set<std::string> ids;
  for (const auto& c : cells) EXPECT_TRUE(ids.insert(c.id).second) << c.id;
  for (const auto& c : cells) EXPECT_EQ(cell_id(c), c.id);
}

TEST(Plan, SpeedOverridesChangeOnlyRepetitions) {
  const auto p = test::make_fake_project("override", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32"}},
                                                      {"speed_overrides", {{"vulkan", {{"reps", 2}, {"inner_reps", 1}, {"warmup", 0}}}}}});
  const auto cells = plan_of(p);
  ASSERT_EQ(cells.size(), 4u);
  const Cell& cpu = cells[2];
  const Cell& vk = cells[3];
  EXPECT_EQ(cpu.id, "cpu/tiny/fp32,fp32/speed/p16n8/d0");
  EXPECT_EQ(vk.id, "vulkan/tiny/fp32,fp32/speed/p16n8/d0");  // same workload, so still comparable
  EXPECT_EQ(cpu.runs(), 4);
  EXPECT_EQ(cpu.inner_reps, 3);
  EXPECT_EQ(vk.runs(), 2);
  EXPECT_EQ(vk.inner_reps, 1);
  EXPECT_EQ(cells[1].reps, 1) << "perplexity cells are not overridden";
}

TEST(Plan, SpeedOverridesCanDropDepthsAndKvPairsOfOneVariant) {
  const auto p = test::make_fake_project(
      "override-subset",
      {{"variants", {"cpu", "vulkan"}},
       {"kv", {"fp32", "fp16"}},
       {"metrics", {{"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"depths", {0, 64}}, {"reps", 3}}}}},
       {"speed_overrides", {{"vulkan", {{"kv", {"fp16"}}, {"depths", {0}}}}}}});
  std::set<std::string> ids;
  for (const auto& c : plan_of(p))
    if (c.metric == Metric::speed) ids.insert(c.id);
  EXPECT_EQ(ids, (std::set<std::string>{"cpu/tiny/fp32,fp32/speed/p16n8/d0", "cpu/tiny/fp16,fp16/speed/p16n8/d0",
                                        "cpu/tiny/fp32,fp32/speed/p16n8/d64", "cpu/tiny/fp16,fp16/speed/p16n8/d64",
                                        "vulkan/tiny/fp16,fp16/speed/p16n8/d0"}));
}

// "depth_fill": "random": depth cells say so in their id and pass --depth-fill random to quant; depth 0 has
// nothing to fill and keeps its id.
TEST(Plan, RandomDepthFillReachesQuantAndTheCellId) {
  const auto p = test::make_fake_project(
      "depth-fill", {{"kv", {"fp16"}},
                     {"metrics", {{"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"depths", {0, 64}}, {"reps", 1},
                                             {"depth_fill", "random"}}}}}});
  Inputs in;
  std::vector<std::string> ids;
  for (const auto& c : plan_of(p, nullptr, &in)) {
    if (c.metric != Metric::speed) continue;
    ids.push_back(c.id);
    const auto cmd = quant_command(c, Variant{}, "quant", in);
    const bool fills = std::find(cmd.begin(), cmd.end(), "--depth-fill") != cmd.end();
    EXPECT_EQ(fills, c.depth > 0) << c.id;
    EXPECT_NE(c.params_text().find("depth_fill=random"), std::string::npos) << c.id;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"cpu/tiny/fp16,fp16/speed/p16n8/d0", "cpu/tiny/fp16,fp16/speed/p16n8/d64-random"}));
  const auto bad = test::make_fake_project(
      "depth-fill-bad", {{"metrics", {{"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"depths", {0}}, {"depth_fill", "zeros"}}}}}});
  try {
    plan_of(bad);
    ADD_FAILURE() << "an unknown depth fill was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("depth_fill"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("zeros"), std::string::npos) << e.what();
  }
}

TEST(Plan, ShardsAreDisjointAndCoverThePlan) {
  const auto p = test::make_fake_project("shards", {{"variants", {"cpu", "vulkan"}},
                                                    {"kv", {"fp32", "fp16", "q8_0", "q4_0", "turbo_kv_3b"}}});
  const auto plan = plan_of(p);
  for (int n = 1; n <= 7; ++n) {
    std::multiset<std::string> seen;
    for (int i = 1; i <= n; ++i) {
      const auto part = shard_cells(plan, {i, n});
      for (const auto& c : part) seen.insert(c.id);
      // Each shard keeps the plan's relative order.
      size_t last = 0;
      for (const auto& c : part) {
        size_t pos = 0;
        while (plan[pos].id != c.id) ++pos;
        EXPECT_TRUE(pos >= last);
        last = pos;
      }
    }
    ASSERT_EQ(seen.size(), plan.size()) << n << " shards";
    for (const auto& c : plan) EXPECT_EQ(seen.count(c.id), 1u) << c.id << " in " << n << " shards";
  }
}

TEST(Plan, ShardSyntaxIsChecked) {
  EXPECT_EQ(parse_shard("2/4").index, 2);
  EXPECT_EQ(parse_shard("2/4").count, 4);
  for (const char* bad : {"0/2", "3/2", "a/b", "1/0", "1", "1/2/3", "-1/2"}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), 2);
    }
  }
}

TEST(Plan, HashChangesWithTheSuite) {
  const auto a = test::make_fake_project("hash-a");
  const auto b = test::make_fake_project("hash-b", {{"metrics", {{"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"reps", 5}}}}}});
  Suite sa, sb;
  Inputs ia, ib;
  const auto pa = plan_of(a, &sa, &ia), pa2 = plan_of(a, &sa, &ia), pb = plan_of(b, &sb, &ib);
  EXPECT_EQ(plan_sha256(pa, sa, ia), plan_sha256(pa2, sa, ia));
  EXPECT_NE(plan_sha256(pa, sa, ia), plan_sha256(pb, sb, ib));
}

TEST(Inputs, MissingModelsListEveryPathSearched) {
  const auto p = test::make_fake_project("missing", {{"models", {{{"name", "ghost"}, {"file", "ghost.gguf"}},
                                                                 {{"name", "tiny"}, {"file", "tiny.gguf"}}}}});
  Inputs in;
  plan_of(p, nullptr, &in);
  const Resource* ghost = in.model("ghost");
  ASSERT_NE(ghost, nullptr);
  EXPECT_FALSE(ghost->found());
  ASSERT_EQ(ghost->searched.size(), 2u);
  EXPECT_EQ(ghost->searched[0], p.model_dir + "/ghost.gguf");
  EXPECT_EQ(ghost->searched[1], p.root + "/no-shared-here/models/ghost.gguf");
  EXPECT_TRUE(in.model("tiny")->found());
  EXPECT_EQ(in.model("tiny")->sha256.size(), 64u);
  EXPECT_FALSE(in.any_synthetic()) << "a real model exists, so nothing is generated";
}

TEST(Inputs, NoModelAtAllFallsBackToSyntheticWeights) {
  const auto p = test::make_fake_project("synthetic", {{"models", {{{"name", "ghost"}, {"file", "ghost.gguf"}}}},
                                                       {"texts", {{{"name", "gone"}, {"file", "gone.txt"}}}}});
  Inputs in;
  const auto cells = plan_of(p, nullptr, &in);
  const Resource* m = in.model(kSyntheticModelName);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->synthetic && m->found());
  ASSERT_NE(in.text(kSyntheticTextName), nullptr);
  // The generated model is measured on the generated text only; the real model's cells stay (missing).
  int synthetic_cells = 0, ghost_cells = 0;
  for (const auto& c : cells) {
    synthetic_cells += c.model == kSyntheticModelName;
    ghost_cells += c.model == "ghost";
    if (c.model == kSyntheticModelName && c.metric == Metric::ppl) {
      EXPECT_EQ(c.text, kSyntheticTextName);
    }
    if (c.model == "ghost" && c.metric == Metric::ppl) {
      EXPECT_EQ(c.text, "gone");
    }
  }
  EXPECT_EQ(synthetic_cells, 6);
  EXPECT_EQ(ghost_cells, 6);
  // Generation is deterministic: the same bytes every time, so shards on other machines agree.
  EXPECT_EQ(sha256_file(write_synthetic_model(test::temp_dir("synthetic-again"))), m->sha256);
}

}  // namespace
}  // namespace quant::harness
