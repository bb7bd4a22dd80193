// `bench-all ab` end to end on a tiny git repository whose "build" installs a script around fake_quant:
// the base commit runs at full speed, the head commit 30% slower. ab must check both commits out in
// worktrees, build them, interleave their runs and fail on the head; an A/A run of one commit must pass.
#include <gtest/gtest.h>

#include <filesystem>

#include <fstream>

#include "harness/judge/ab.h"
#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness/measure/variant_build.h"
#include "gate_test_support.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

std::string git(const std::string& repo, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", repo});
  const ProcessResult r = run_process(args, {{"GIT_AUTHOR_NAME", "t"}, {"GIT_AUTHOR_EMAIL", "t@t"},
                                             {"GIT_COMMITTER_NAME", "t"}, {"GIT_COMMITTER_EMAIL", "t@t"}}, 60);
  EXPECT_EQ(r.exit_code, 0) << "git " << args[3] << ": " << r.err;
  return r.out;
}

void write_quant_script(const std::string& repo, const std::string& slowdown) {
  test::write_file(repo + "/quant.sh", "#!/bin/sh\n# the engine of this revision\nexport FAKE_QUANT_SLOWDOWN=" + slowdown +
                                           "\nexec \"" + std::string(FAKE_QUANT_BIN) + "\" \"$@\"\n");
  fs::permissions(repo + "/quant.sh", fs::perms::owner_all);
}

TEST(Ab, BuildsTwoRevisionsInWorktreesAndFlagsTheSlowerHead) {
  const std::string repo = test::temp_dir("ab-repo");
  test::write_file(repo + "/CMakeLists.txt", R"(cmake_minimum_required(VERSION 3.16)
project(fake_engine NONE)
option(ENGINE_VULKAN "accelerator backend" OFF)
add_custom_target(quant ALL
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/engine
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/quant.sh ${CMAKE_BINARY_DIR}/engine/quant
  COMMAND chmod +x ${CMAKE_BINARY_DIR}/engine/quant)
)");
  test::write_file(repo + "/.gitignore", "/.cache/\n/build/\n/reports/\n");
  test::write_file(repo + "/harness/variants.json", R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
    {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "build_dir": "build",
     "cmake_options": {"ENGINE_VULKAN": "OFF"}}]})");
  test::write_file(repo + "/suites/pr.json", R"({"schema": "bench-all.suite", "schema_version": 1, "name": "pr",
    "variants": ["cpu"], "models": [{"name": "tiny", "file": "tiny.gguf"}], "texts": [{"name": "tiny", "file": "tiny.txt"}],
    "kv": ["fp32", "q8_0"], "threads": 1, "timeout_s": 30,
    "metrics": {"speed": {"n_prompt": 16, "n_gen": 8, "depths": [0], "inner_reps": 3, "reps": 5, "warmup": 1}}})");
  test::write_file(repo + "/baselines/thresholds.json", read_text(std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json"));
  test::write_file(repo + "/data/tiny.gguf", "fake model bytes");
  test::write_file(repo + "/data/tiny.txt", "fake text");
  write_quant_script(repo, "1");
  git(repo, {"init", "-q"});
  git(repo, {"add", "."});
  git(repo, {"commit", "-q", "-m", "base"});
  const std::string base = git(repo, {"rev-parse", "HEAD"}).substr(0, 40);
  write_quant_script(repo, "1.3");
  git(repo, {"commit", "-q", "-am", "a slower engine"});
  const std::string head = git(repo, {"rev-parse", "HEAD"}).substr(0, 40);

  const std::map<std::string, std::string> env = {{"QUANT_MODEL_PATH", repo + "/data"}, {"QUANT_TEXT_PATH", repo + "/data"},
                                                  {"QUANT_SHARED_DIR", repo + "/none"}, {"FAKE_QUANT_NOISE", "0.01"}};
  const ProcessResult slow = run_process({BENCH_ALL_BIN, "--root", repo, "ab", "--base", base, "--head", head, "--pairs",
                                          "6", "--out", repo + "/reports/ab1", "-j", "1"},
                                         env, 300);
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_TRUE(fs::exists(repo + "/.cache/ab/" + base.substr(0, 12) + "/build/engine/quant")) << slow.err;
  EXPECT_TRUE(fs::exists(repo + "/.cache/ab/" + head.substr(0, 12) + "/build/engine/quant")) << slow.err;
  const nlohmann::json verdict = read_json_file(repo + "/reports/ab1/ab.json");
  EXPECT_EQ(verdict["verdict"], "fail");
  EXPECT_EQ(verdict["counts"]["regression"], 4) << verdict.dump(1);  // 2 cells x pp, tg
  const nlohmann::json runs = read_json_file(repo + "/reports/ab1/base.results.json")["cells"][0]["runs"];
  EXPECT_EQ(runs.size(), 7u) << "one warm-up pair and 6 measured pairs";

  const ProcessResult same = run_process({BENCH_ALL_BIN, "--root", repo, "ab", "--base", base, "--head", base, "--pairs",
                                          "6", "--out", repo + "/reports/ab2", "-j", "1"},
                                         env, 300);
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("## bench-all ab: PASS"), std::string::npos) << same.out;

  const ProcessResult bad = run_process({BENCH_ALL_BIN, "--root", repo, "ab", "--base", "no-such-rev"}, env, 60);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("revision 'no-such-rev' is not a commit"), std::string::npos) << bad.err;
  git(repo, {"worktree", "prune"});
}

TEST(Ab, ArmsAlternateABBAWithinEachCell) {
  auto p = test::make_fake_project("abba", {{"kv", {"fp32"}},
                                            {"metrics", {{"speed", {{"n_prompt", 4}, {"n_gen", 4}, {"reps", 3}}}}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv log("FAKE_QUANT_LOG", p.root + "/calls.log");
  const PairedRun run =
      test::quiet_paired(test::fake_paired_options(p, 4, 1, {{"FAKE_QUANT_ARM", "A"}}, {{"FAKE_QUANT_ARM", "B"}}));
  std::string order;
  std::ifstream f(p.root + "/calls.log");
  for (std::string line; std::getline(f, line);) order += line.substr(line.rfind(' ') + 1);
  EXPECT_EQ(order, "ABBAABBAAB");  // warm-up pair, then 4 measured pairs
  ASSERT_EQ(run.cells.size(), 1u);
  EXPECT_EQ(run.arms[0].cells[0].status, "ok");
  EXPECT_EQ(pair_ratios(run.arms[0].cells[0], run.arms[1].cells[0], "tg_tok_s").size(), 4u);
}

}  // namespace
}  // namespace quant::harness
