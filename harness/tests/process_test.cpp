// Subprocesses: exit codes, captured output, environment, time limits and missing executables.
#include <gtest/gtest.h>

#include <chrono>

#include "harness/util/process.h"

namespace quant::harness {
namespace {

TEST(Process, CapturesExitCodeOutputAndEnvironment) {
  const ProcessResult r = run_process({"/bin/sh", "-c", "echo out; echo \"err $X\" >&2; exit 3"}, {{"X", "42"}}, 10);
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err 42\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(Process, ATimeLimitKillsTheWholeProcessGroup) {
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = run_process({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {}, 0.3);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  EXPECT_TRUE(r.timed_out);
  EXPECT_NE(r.exit_code, 0);
}

TEST(Process, AMissingExecutableIsReported) {
  const ProcessResult r = run_process({"/nonexistent/quant", "--json"}, {}, 10);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.err.find("cannot run /nonexistent/quant"), std::string::npos) << r.err;
}

TEST(Process, TailKeepsTheLastLinesAndTheFinalProgressState) {
  EXPECT_EQ(tail_lines("a\nb\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(tail_lines("chunk 1/8\rchunk 8/8\nquant: error: boom\n", 5), "chunk 8/8\nquant: error: boom");
  EXPECT_EQ(tail_lines("", 3), "");
  EXPECT_EQ(tail_lines(std::string(50, 'x'), 1, 10), "..." + std::string(10, 'x'));
}

}  // namespace
}  // namespace quant::harness
