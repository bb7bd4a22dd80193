// Sweeps against fake_quant: failures are recorded and the sweep goes on, backends are checked, runs are
// interleaved round-robin, timeouts kill the run, the journal resumes, shards merge into the whole.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness/measure/variant_build.h"
#include "faults_test_support.h"
#include "harness_test_support.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

// Sweep output goes to a scratch file so test logs stay readable.
SweepOutcome sweep(const SweepOptions& o) { return test::quiet_sweep(o); }

std::vector<std::string> lines(const std::string& path) { return test::lines_of(path); }

const CellResult& cell(const Results& r, const std::string& id) {
  const CellResult* c = r.cell(id);
  if (!c) throw std::runtime_error("no cell " + id);
  return *c;
}

TEST(Sweep, FailingCellsAreRecordedAndTheSweepGoesOn) {
  const auto p = test::make_fake_project("fail");
  test::FakeSearchPath paths(p);
  test::ScopedEnv fail("FAKE_QUANT_FAIL_KV", "q8_0");
  const Results r = sweep(p.options("run")).results;
  ASSERT_EQ(r.cells.size(), 6u);
  const CellResult& bad = cell(r, "cpu/tiny/q8_0,q8_0/speed/p16n8/d0");
  EXPECT_EQ(bad.status, "error");
  ASSERT_EQ(bad.runs.size(), 1u) << "a failed cell's remaining repetitions are skipped";
  EXPECT_EQ(bad.runs[0].exit_code, 1);
  EXPECT_NE(bad.runs[0].stderr_tail.find("KV cache type q8_0 is not implemented in this build"), std::string::npos);
  EXPECT_NE(bad.reason.find("exit code 1"), std::string::npos) << bad.reason;
  EXPECT_EQ(cell(r, "cpu/tiny/q8_0,q8_0/ppl/tiny/c64").status, "error");
  const CellResult& good = cell(r, "cpu/tiny/fp16,fp16/speed/p16n8/d0");
  EXPECT_EQ(good.status, "ok");
  ASSERT_EQ(good.runs.size(), 4u);
  EXPECT_TRUE(good.runs[0].warmup);
  EXPECT_FALSE(good.runs[1].warmup);
  EXPECT_EQ(good.runs[1].sample["tg_tok_s"].size(), 3u);
  EXPECT_EQ(good.engine["kv"]["k_type"], "fp16");
  EXPECT_EQ(cell(r, "cpu/tiny/fp32,fp32/ppl/tiny/c64").runs[0].sample["kld"]["top1_agreement"], 1.0);
  EXPECT_EQ(sweep_exit_code(r), 1);
}

// quant's "unsupported" exit (3: this build cannot run the model, e.g. Q4_K weights on Vulkan) is a
// limitation of the build: the cell is unsupported with quant's reason, not failed, and the sweep goes on.
TEST(Sweep, ABuildThatCannotRunTheModelLeavesUnsupportedCells) {
  const auto p = test::make_fake_project("unsupported-build", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv unsupported("FAKE_QUANT_UNSUPPORTED_BACKEND", "vulkan");
  const Results r = sweep(p.options("run")).results;
  const CellResult& vk = cell(r, "vulkan/tiny/fp32,fp32/speed/p16n8/d0");
  EXPECT_EQ(vk.status, "unsupported");
  EXPECT_EQ(vk.reason.rfind("unsupported by this build: --backend vulkan: tensor blk.0.attn_q.weight has type Q4_K", 0), 0u)
      << vk.reason;
  ASSERT_EQ(vk.runs.size(), 1u) << "the cell's other runs are skipped";
  EXPECT_EQ(vk.runs[0].exit_code, 3);
  EXPECT_EQ(cell(r, "cpu/tiny/fp32,fp32/speed/p16n8/d0").status, "ok");
  EXPECT_EQ(sweep_exit_code(r), 3) << "every cell measured or unsupported";
}

TEST(Sweep, ABackendOtherThanTheVariantsIsAnError) {
  const auto p = test::make_fake_project("backend", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv used("FAKE_QUANT_BACKEND_USED", "cpu");  // the "vulkan" binary quietly ran on the CPU
  const Results r = sweep(p.options("run")).results;
  EXPECT_EQ(cell(r, "cpu/tiny/fp32,fp32/speed/p16n8/d0").status, "ok");
  const CellResult& v = cell(r, "vulkan/tiny/fp32,fp32/speed/p16n8/d0");
  EXPECT_EQ(v.status, "error");
  EXPECT_NE(v.reason.find("backend.used is 'cpu' but variant vulkan expects 'vulkan'"), std::string::npos) << v.reason;
}

TEST(Sweep, AVariantThatIsNotBuiltIsUnsupportedNeverSubstituted) {
  const auto p = test::make_fake_project("unbuilt", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv log("FAKE_QUANT_LOG", p.root + "/calls.log");
  SweepOptions o = p.options("run");
  o.binaries["vulkan"] = p.root + "/no-such-quant";
  const Results r = sweep(o).results;
  const CellResult& v = cell(r, "vulkan/tiny/fp32,fp32/ppl/tiny/c64");
  EXPECT_EQ(v.status, "unsupported");
  EXPECT_EQ(v.reason.rfind("unsupported: not built", 0), 0u) << v.reason;
  EXPECT_TRUE(v.runs.empty());
  for (const auto& l : lines(p.root + "/calls.log")) EXPECT_EQ(l.find("vulkan"), std::string::npos) << l;
  EXPECT_EQ(sweep_exit_code(r), 3);
}

TEST(Sweep, ACMakeConfigureFailureIsRecordedAsNotBuilt) {
  const std::string root = test::temp_dir("not-a-project");  // no CMakeLists.txt: configure fails
  Variant v;
  v.name = "vulkan";
  v.backend = "vulkan";
  v.build_type = "Release";
  v.cmake_options = {{"ENGINE_VULKAN", "ON"}};
  v.build_dir = "build-variants/vulkan";
  std::ostringstream log;
  const VariantBuild b = build_variant(v, root, 1, log);
  EXPECT_FALSE(b.built);
  EXPECT_EQ(b.reason.rfind("CMake configure failed", 0), 0u) << b.reason;
  EXPECT_NE(log.str().find("NOT BUILT"), std::string::npos);
}

TEST(Sweep, MissingModelsAreReportedWithThePathsSearched) {
  const auto p = test::make_fake_project("missing", {{"models", {{{"name", "tiny"}, {"file", "tiny.gguf"}},
                                                                 {{"name", "ghost"}, {"file", "ghost.gguf"}}}},
                                                     {"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  const Results r = sweep(p.options("run")).results;
  const CellResult& g = cell(r, "cpu/ghost/fp32,fp32/speed/p16n8/d0");
  EXPECT_EQ(g.status, "missing");
  EXPECT_NE(g.reason.find(p.model_dir + "/ghost.gguf"), std::string::npos) << g.reason;
  EXPECT_EQ(cell(r, "cpu/tiny/fp32,fp32/speed/p16n8/d0").status, "ok");
  EXPECT_EQ(sweep_exit_code(r), 3);
}

TEST(Sweep, RepetitionsAreInterleavedRoundRobin) {
  const auto p = test::make_fake_project("interleave", {{"kv", {"fp32", "fp16"}},
                                                        {"metrics", {{"speed", {{"n_prompt", 4}, {"n_gen", 4}, {"reps", 3}}}}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv log("FAKE_QUANT_LOG", p.root + "/calls.log");
  sweep(p.options("run"));
  std::vector<std::string> kinds;
  for (const auto& l : lines(p.root + "/calls.log")) kinds.push_back(l.substr(0, l.find(' ')));
  EXPECT_EQ(kinds, (std::vector<std::string>{"fp32,fp32", "fp16,fp16", "fp32,fp32", "fp16,fp16", "fp32,fp32", "fp16,fp16"}));
}

TEST(Sweep, ARunOverItsTimeLimitIsKilled) {
  const auto p = test::make_fake_project("timeout", {{"kv", {"fp32"}}, {"timeout_s", 1},
                                                     {"metrics", {{"speed", {{"n_prompt", 4}, {"n_gen", 4}}}}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv sleep("FAKE_QUANT_SLEEP_S", "20");
  const auto start = std::chrono::steady_clock::now();
  const Results r = sweep(p.options("run")).results;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
  const CellResult& c = cell(r, "cpu/tiny/fp32,fp32/speed/p4n4/d0");
  EXPECT_EQ(c.status, "error");
  ASSERT_EQ(c.runs.size(), 1u);
  EXPECT_EQ(c.runs[0].status, "timeout");
  EXPECT_NE(c.reason.find("timed out after 1 s"), std::string::npos) << c.reason;
}

TEST(Sweep, AnInterruptedSweepResumesFromItsJournal) {
  const auto p = test::make_fake_project("resume");
  test::FakeSearchPath paths(p);
  test::ScopedEnv log("FAKE_QUANT_LOG", p.root + "/calls.log");
  SweepOptions o = p.options("run");
  o.max_runs = 7;
  SweepOutcome first = sweep(o);
  EXPECT_TRUE(first.interrupted);
  first.lock.reset();  // bench-all ends here: the folder is free for the resume
  EXPECT_EQ(lines(p.root + "/calls.log").size(), 7u);
  const std::string journal = o.out_dir + "/journal.jsonl";
  EXPECT_EQ(lines(journal).size(), 8u);  // header + one line per run
  // The process died while writing a line: the torn line is dropped, not trusted.
  std::ofstream(journal, std::ios::app) << R"({"run": {"cell": "cpu/tiny/fp32)";

  SweepOptions again = test::resume_options(o);
  const SweepOutcome second = sweep(again);
  EXPECT_FALSE(second.interrupted);
  const Results& r = second.results;
  // 3 ppl cells x 1 run + 3 speed cells x 4 runs: every run exactly once, no repeats after the resume.
  EXPECT_EQ(lines(p.root + "/calls.log").size(), 15u);
  for (const auto& c : r.cells) {
    EXPECT_EQ(c.status, "ok") << c.cell.id << ": " << c.reason;
    ASSERT_EQ(static_cast<int>(c.runs.size()), c.cell.runs()) << c.cell.id;
    for (int i = 0; i < c.cell.runs(); ++i) EXPECT_EQ(c.runs[i].index, i);
  }
  EXPECT_EQ(sweep_exit_code(r), 0);
}

TEST(Sweep, ResumingAChangedSuiteOrBinaryIsRefusedOrFlagged) {
  const auto p = test::make_fake_project("resume-changed", {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  SweepOptions o = p.options("run");
  o.max_runs = 2;
  sweep(o);
  SweepOptions again = test::resume_options(o);
  {
    // The binary was rebuilt from another commit: the runs after the resume are errors, not mixed in.
    test::ScopedEnv commit("FAKE_QUANT_COMMIT", "another-commit");
    const Results r = sweep(again).results;
    const CellResult& c = cell(r, "cpu/tiny/fp32,fp32/speed/p16n8/d0");
    EXPECT_EQ(c.status, "error");
    EXPECT_NE(c.reason.find("the binary changed during the sweep"), std::string::npos) << c.reason;
  }
  // The suite changed: resuming would mix two plans.
  auto suite = nlohmann::json::parse(test::read_file(p.suite_file));
  suite["threads"] = 2;
  test::write_file(p.suite_file, suite.dump());
  try {
    sweep(again);
    ADD_FAILURE() << "resume of a changed suite accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("changed since this sweep started"), std::string::npos) << e.what();
  }
}

TEST(Sweep, ShardsMergeIntoTheUnshardedSweep) {
  const auto p = test::make_fake_project("merge", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32", "fp16", "q4_0"}},
                                                   {"metrics", {{"ppl", {{"ctx", {32, 64}}}},
                                                                {"speed", {{"n_prompt", 4}, {"n_gen", 4}, {"depths", {0, 8}}}}}}});
  test::FakeSearchPath paths(p);
  const Results whole = sweep(p.options("whole")).results;
  std::vector<Results> parts;
  std::vector<std::string> names;
  for (int i = 1; i <= 3; ++i) {
    SweepOptions o = p.options("shard" + std::to_string(i));
    o.shard = {i, 3};
    parts.push_back(sweep(o).results);
    names.push_back("shard" + std::to_string(i));
    EXPECT_EQ(parts.back().plan_sha256, whole.plan_sha256);
  }
  const Results merged = merge_results(parts, names);
  ASSERT_EQ(merged.cells.size(), whole.cells.size());
  for (size_t i = 0; i < whole.cells.size(); ++i) {
    EXPECT_EQ(merged.cells[i].cell.id, whole.cells[i].cell.id);
    EXPECT_EQ(merged.cells[i].status, whole.cells[i].status);
    EXPECT_EQ(merged.cells[i].runs.size(), whole.cells[i].runs.size());
  }
  EXPECT_EQ(merged.merged_from.size(), 3u);
  EXPECT_TRUE(merged.shard.empty());

  auto merge_error = [&](const std::vector<Results>& rs) {
    try {
      merge_results(rs, std::vector<std::string>(rs.size(), "x.json"));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(merged)");
  };
  EXPECT_NE(merge_error({parts[0], parts[2]}).find("shards missing: 2/3"), std::string::npos);
  EXPECT_NE(merge_error({parts[0], parts[0], parts[1]}).find("given twice"), std::string::npos);
  EXPECT_NE(merge_error({whole}).find("not a shard"), std::string::npos);
  Results other = parts[1];
  other.plan_sha256 = "0000";
  EXPECT_NE(merge_error({parts[0], other, parts[2]}).find("a different plan"), std::string::npos);
}

}  // namespace
}  // namespace quant::harness
