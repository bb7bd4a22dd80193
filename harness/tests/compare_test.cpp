// `compare` and baselines on fake sweeps with chosen effects: a global slowdown is an absolute
// regression, a one-kernel slowdown shows in the within-run ratios (the only timings judged across
// machine classes), a deterministic change needs a baseline update, a cell that now fails is a regression.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "gate_test_support.h"
#include "harness/store/baseline.h"
#include "harness/judge/compare.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

std::vector<const Check*> find(const GateReport& g, const std::string& kind, Verdict v) {
  std::vector<const Check*> out;
  for (const auto& c : g.checks)
    if (c.kind == kind && c.decision.verdict == v) out.push_back(&c);
  return out;
}

int count_kind(const GateReport& g, const std::string& kind) {
  int n = 0;
  for (const auto& c : g.checks) n += c.kind == kind;
  return n;
}

TEST(Compare, GlobalSlowdownIsAnAbsoluteRegression) {
  auto p = test::make_fake_project("cmp-global", test::speed_suite());
  const Results base = test::fake_sweep(p, "base", {{"FAKE_QUANT_NOISE", "0.02"}});
  const Results slow = test::fake_sweep(p, "slow", {{"FAKE_QUANT_NOISE", "0.02"}, {"FAKE_QUANT_SLOWDOWN", "1.25"}});
  const std::string file = p.root + "/base.json";
  test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
  const Thresholds t = test::fixed_thresholds(0.05, 0.05, 0.05);
  const GateReport g = compare_results(slow, explicit_baseline(slow, file), t);
  EXPECT_TRUE(g.failed());
  EXPECT_EQ(find(g, "absolute", Verdict::regression).size(), 4u) << render_gate_markdown(g);  // 2 cells x pp, tg
  EXPECT_EQ(find(g, "kv_vs_fp32", Verdict::regression).size(), 0u) << "a global slowdown leaves ratios alone";
  const std::string md = render_gate_markdown(g);
  EXPECT_NE(md.find("## bench-all compare: FAIL"), std::string::npos);
  EXPECT_EQ(gate_json(g)["verdict"], "fail");

  // Nothing changed: every check unchanged or inconclusive, the gate passes.
  const Results again = test::fake_sweep(p, "again", {{"FAKE_QUANT_NOISE", "0.02"}});
  const GateReport same = compare_results(again, explicit_baseline(again, file), t);
  EXPECT_FALSE(same.failed()) << render_gate_markdown(same);
  EXPECT_EQ(same.count(Verdict::regression) + same.count(Verdict::improvement), 0);
}

TEST(Compare, KernelSlowdownShowsInRatiosAcrossMachines) {
  auto p = test::make_fake_project("cmp-kernel", test::speed_suite());
  Results base = test::fake_sweep(p, "base", {{"FAKE_QUANT_NOISE", "0.02"}});
  base.system["cpu_model"] = "Another CPU";  // a baseline from another machine class
  const std::string file = p.root + "/base.json";
  test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
  const Results slow = test::fake_sweep(
      p, "slow", {{"FAKE_QUANT_NOISE", "0.02"}, {"FAKE_QUANT_SLOWDOWN", "1.3"}, {"FAKE_QUANT_SLOWDOWN_KV", "q8_0"}});
  const GateReport g = compare_results(slow, explicit_baseline(slow, file), test::fixed_thresholds(0.05, 0.05, 0.05));
  EXPECT_EQ(count_kind(g, "absolute"), 0) << "absolute tok/s are not compared across machine classes";
  const auto reg = find(g, "kv_vs_fp32", Verdict::regression);
  ASSERT_EQ(reg.size(), 2u) << render_gate_markdown(g);
  EXPECT_NE(reg[0]->cell.find("q8_0"), std::string::npos);
  EXPECT_NE(render_gate_markdown(g).find("another machine class"), std::string::npos);
  EXPECT_TRUE(g.failed());
}

TEST(Compare, DeterministicChangeNeedsABaselineUpdate) {
  auto p = test::make_fake_project("cmp-det", {{"kv", {"fp32", "q8_0"}}});
  const Results base = test::fake_sweep(p, "base", {});
  const std::string file = p.root + "/base.json";
  test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
  const Thresholds t = test::fixed_thresholds(0.05, 0.05, 0.05);
  const Results same = test::fake_sweep(p, "same", {});
  const GateReport ok = compare_results(same, explicit_baseline(same, file), t);
  int deterministic = 0;
  for (const auto& c : ok.checks) deterministic += c.kind == "deterministic" && c.decision.verdict == Verdict::unchanged;
  EXPECT_GE(deterministic, 8) << render_gate_markdown(ok);  // ppl, delta, kld, top-1 of 2 cells (+ bytes)
  EXPECT_FALSE(ok.failed()) << render_gate_markdown(ok);

  const Results moved = test::fake_sweep(p, "moved", {{"FAKE_QUANT_PPL_DELTA", "q8_0=0.1"}});
  const GateReport g = compare_results(moved, explicit_baseline(moved, file), t);
  EXPECT_TRUE(g.failed());
  bool ppl_flagged = false;
  for (const auto& c : g.checks)
    if (c.measure == "ppl" && c.cell.find("q8_0") != std::string::npos) {
      ppl_flagged = c.needs_baseline_update && c.decision.verdict == Verdict::regression;
    }
  EXPECT_TRUE(ppl_flagged) << render_gate_markdown(g);
  EXPECT_NE(render_gate_markdown(g).find("bench-all baseline update"), std::string::npos);
}

TEST(Compare, CellThatNowFailsIsARegression) {
  auto p = test::make_fake_project("cmp-fail", test::speed_suite());
  const Results base = test::fake_sweep(p, "base", {});
  const std::string file = p.root + "/base.json";
  test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
  const Results broken = test::fake_sweep(p, "broken", {{"FAKE_QUANT_FAIL_KV", "q8_0"}});
  const GateReport g = compare_results(broken, explicit_baseline(broken, file), test::fixed_thresholds(0.05, 0.05, 0.05));
  const auto reg = find(g, "status", Verdict::regression);
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_NE(reg[0]->decision.why.find("now failing"), std::string::npos);
}

TEST(Baseline, UpdateStoresPerMachineAndVariantAndCompareFindsIt) {
  auto p = test::make_fake_project("baseline", test::speed_suite());
  const Results r = test::fake_sweep(p, "run", {});
  std::ostringstream log;
  const auto files = update_baseline(r, p.root, log);
  ASSERT_EQ(files.size(), 1u);
  const Machine m = *machine_of(r);
  EXPECT_EQ(files[0], p.root + "/baselines/test/" + m.slug() + "/cpu.json");
  const Results stored = load_results(files[0]);
  EXPECT_EQ(stored.cells.size(), r.cells.size());
  std::vector<std::string> notes;
  const auto found = find_baselines(r, p.root, notes);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].first.same_machine);
  EXPECT_EQ(found[0].first.variant, "cpu");

  // Another machine class: the stored baseline is still used, for ratios only.
  Results elsewhere = r;
  elsewhere.system["n_cores"] = 64;
  const auto other = find_baselines(elsewhere, p.root, notes);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_FALSE(other[0].first.same_machine);

  Results shard = r;
  shard.shard = "1/2";
  EXPECT_THROW(update_baseline(shard, p.root, log), InputError);
  Results delayed = r;
  delayed.cells[0].runs[1].sample["test_delay_us"] = 100;
  try {
    update_baseline(delayed, p.root, log);
    FAIL() << "a run with a test delay must not become a baseline";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("QUANT_TEST_DELAY_US"), std::string::npos);
  }
}

TEST(Baseline, MachineSlugDropsKernelRelease) {
  Results r;
  r.system = {{"cpu_model", "AMD EPYC 7B13 64-Core Processor"}, {"n_cores", 2}, {"os", "Linux 6.1.0-18-cloud-amd64 x86_64"}};
  const Machine m = *machine_of(r);
  EXPECT_EQ(m.os, "Linux x86_64");
  EXPECT_EQ(m.slug(), "amd-epyc-7b13-64-core-processor-2c-linux-x86_64");
  EXPECT_EQ(m.text(), "AMD EPYC 7B13 64-Core Processor, 2 cores, Linux x86_64");
  Results merged = r;
  merged.merged_from.push_back({"1/2", "", "", {{"cpu_model", "Other"}, {"n_cores", 2}, {"os", "Linux 6 x86_64"}}});
  EXPECT_FALSE(machine_of(merged).has_value());
}

TEST(Baseline, ChoosesTheSameMachineThenTheMostSimilar) {
  const Machine here{"CPU A", "Linux x86_64", 2};
  const std::vector<BaselineFile> all = {{"x/a-64.json", "cpu", {"CPU A", "Linux x86_64", 64}},
                                         {"x/b-2.json", "cpu", {"CPU B", "Linux x86_64", 2}},
                                         {"x/a-2.json", "cpu", here},
                                         {"x/vk.json", "vulkan", {"CPU B", "Linux x86_64", 2}}};
  EXPECT_EQ(choose_baseline(all, "cpu", here)->file.path, "x/a-2.json");
  EXPECT_TRUE(choose_baseline(all, "cpu", here)->same_machine);
  EXPECT_EQ(choose_baseline({all[0], all[1]}, "cpu", here)->file.path, "x/a-64.json");  // same CPU model
  EXPECT_FALSE(choose_baseline(all, "vulkan", here)->same_machine);
  EXPECT_FALSE(choose_baseline(all, "other", here).has_value());
}

}  // namespace
}  // namespace quant::harness
