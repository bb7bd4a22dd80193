// The users' CI workflow (ci/github/bench-gate.yml) cannot run here, so its YAML is validated by
// ci/github/check_workflow.py (python3-yaml): pull-request trigger, logic in scripts, shard matrix
// consistent with the shard count, join after the shards. Broken copies must be rejected.
#include <gtest/gtest.h>

#include <string>

#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

const std::string kRoot = QUANT_SOURCE_DIR;

ProcessResult check(const std::string& workflow) {
  return run_process({"/usr/bin/python3", kRoot + "/ci/github/check_workflow.py", workflow, kRoot}, {}, 60);
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(Workflow, ShippedWorkflowIsValid) {
  const ProcessResult r = check(kRoot + "/ci/github/bench-gate.yml");
  ASSERT_TRUE(r.started) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Workflow, BrokenWorkflowsAreRejectedWithTheReason) {
  const std::string yml = read_text(kRoot + "/ci/github/bench-gate.yml");
  const std::string dir = test::temp_dir("workflow");
  auto expect_rejected = [&](const std::string& text, const std::string& reason) {
    const std::string f = dir + "/w.yml";
    test::write_file(f, text);
    const ProcessResult r = check(f);
    EXPECT_EQ(r.exit_code, 1) << text;
    EXPECT_NE(r.out.find(reason), std::string::npos) << r.out << r.err;
  };
  expect_rejected(replaced(yml, "run: bash scripts/ci-gate reports/gate", "run: |\n          cmake -S . -B build\n          ctest"),
                  "logic belongs in scripts/");
  expect_rejected(replaced(yml, "shard: [1, 2, 3, 4]", "shard: [1, 2, 3]"), "must be 1..4");
  expect_rejected(replaced(yml, "bash scripts/ci-release-join", "bash scripts/no-such-script"), "does not exist");
  expect_rejected(replaced(yml, "  pull_request:\n", "  push:\n"), "must run on pull_request");
  expect_rejected(replaced(yml, "needs: release-shard", "needs: gate"), "must wait for release-shard");
  expect_rejected("jobs: [unclosed", "not valid YAML");
  expect_rejected(replaced(yml, " && github.event.pull_request.head.repo.full_name == github.repository", ""),
                  "must be skipped on forks");
  expect_rejected(replaced(yml, "      pull-requests: write\n", ""), "pull-requests: write is needed");
}

}  // namespace
}  // namespace quant::harness
