// scripts/alternate-runs (side-by-side speed rounds): the commands alternate in order round by round,
// the medians come from both JSON shapes (quant --bench, llama-bench), and bad input ends in one line on
// stderr, exit 1 and no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

const std::string kScript = std::string(QUANT_SOURCE_DIR) + "/scripts/alternate-runs";

ProcessResult alternate(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3", kScript};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, 60);
}

// A command that logs its name, then prints the given JSON.
std::string fake(const std::string& log, const std::string& name, const std::string& json) {
  return name + "|echo " + name + " >> " + log + "; printf '%s' '" + json + "'";
}

TEST(AlternateRuns, AlternatesTheOrderAndTakesMediansOfBothJsonShapes) {
  const std::string dir = test::temp_dir("alternate-runs");
  const std::string log = dir + "/order.txt", out = dir + "/runs.jsonl";
  const ProcessResult p = alternate({"3", out, fake(log, "llama", R"([{"samples_ts": [10, 30, 20]}])"),
                                     fake(log, "quant", R"([{"bench": {"pp": {"tok_s": [1, 3, 2]}, "tg": {"tok_s": [5]}}}])")});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(test::read_file(log), "llama\nquant\nquant\nllama\nllama\nquant\n");
  EXPECT_NE(p.out.find("llama: medians [20.0]"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("quant: medians [2.0, 5.0]"), std::string::npos) << p.out;
  const std::string lines = test::read_file(out);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 6);
}

TEST(AlternateRuns, BadInputIsOneLineAndWritesNothing) {
  const std::string dir = test::temp_dir("alternate-runs-bad");
  const std::string out = dir + "/runs.jsonl", log = dir + "/log.txt";
  const std::string ok = fake(log, "ok", R"([{"samples_ts": [1]}])");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"0", out, ok}, "ROUNDS must be a positive integer"},
      {{"2", out, "no-bar-here"}, "expected 'NAME|COMMAND'"},
      {{"2", out, ok, ok}, "each NAME must be given once"},
      {{"2", out, ok, "bad|echo oops >&2; exit 3"}, "bad: command exited 3: oops"},
      {{"2", out, ok, "bad|echo not json"}, "bad: output is not quant --bench or llama-bench JSON"},
      {{"2", out, ok, "bad|printf '[]'"}, "bad: output holds no tok/s samples"},
      {{"2", dir + "/missing/runs.jsonl", ok}, "cannot write"},
  };
  for (const auto& [args, message] : cases) {
    const ProcessResult p = alternate(args);
    EXPECT_EQ(p.exit_code, 1) << message;
    EXPECT_NE(p.err.find("alternate-runs: "), std::string::npos) << p.err;
    EXPECT_NE(p.err.find(message), std::string::npos) << p.err;
    EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << message;
  }
}

}  // namespace
}  // namespace quant::harness
