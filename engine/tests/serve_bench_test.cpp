// quant --serve-bench: the slice protocol bench-all's duet timing drives (docs/bench-all-gate.md).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

#include "quant/synthetic_model.h"
#include "test_support.h"

namespace quant {
namespace {

struct Served {
  int code;
  std::vector<nlohmann::json> lines;
  std::string err;
};

// Feeds `commands` to a serving quant and parses every stdout line as JSON.
Served serve(const std::string& args, const std::string& commands, const std::string& env = "") {
  static const std::string model = [] {
    const std::string p = test::temp_path("serve-synth.gguf");
    make_synthetic_model(SyntheticSpec{}).write(p);
    return p;
  }();
  const test::CommandRun r = test::run_command(
      "printf '" + commands + "' | " + env + " " + QUANT_BIN + " " + model + " --serve-bench " + args, "serve-stderr.txt");
  Served s{r.code, {}, r.err};
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) s.lines.push_back(nlohmann::json::parse(line));
  return s;
}

TEST(ServeBench, AnswersEachSliceWithOneJsonLine) {
  const Served s = serve("-c 64 -k q8_0 -v fp16 -t 1", "slice tg 4 8\\nslice pp 8\\nslice tg 2 8\\nquit\\n");
  ASSERT_EQ(s.code, 0) << s.err;
  ASSERT_EQ(s.lines.size(), 4u) << s.err;
  const auto& ready = s.lines[0];
  EXPECT_EQ(ready["schema"], "quant.serve");
  EXPECT_EQ(ready["ready"], true);
  EXPECT_EQ(ready["kv"]["k_type"], "q8_0");
  EXPECT_EQ(ready["config"]["threads"], 1);
  EXPECT_EQ(ready["config"]["n_ctx"], 64);
  EXPECT_EQ(ready["test_delay_us"], 0);
  EXPECT_EQ(s.lines[1]["kind"], "tg");
  EXPECT_EQ(s.lines[1]["tokens"], 4);
  EXPECT_EQ(s.lines[1]["depth"], 8);
  EXPECT_EQ(s.lines[2]["kind"], "pp");
  EXPECT_EQ(s.lines[2]["depth"], 0);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(s.lines[i]["ok"], true);
    EXPECT_GT(s.lines[i]["seconds"].get<double>(), 0);
    EXPECT_NEAR(s.lines[i]["tok_s"].get<double>() * s.lines[i]["seconds"].get<double>(),
                s.lines[i]["tokens"].get<double>(), 1e-6);
    EXPECT_GT(s.lines[i]["median_tok_s"].get<double>(), 0);
  }
  EXPECT_DOUBLE_EQ(s.lines[2]["median_tok_s"].get<double>(), s.lines[2]["tok_s"].get<double>()) << "pp: one batch";
}

TEST(ServeBench, BadCommandsGetAnErrorLineAndServingGoesOn) {
  const Served s = serve("-c 16", "frobnicate\\nslice tg 0\\nslice xx 4\\nslice tg 4 13\\nslice tg 4 2 9\\nslice tg 4\\n");
  ASSERT_EQ(s.code, 0) << s.err;  // end of input ends the session
  ASSERT_EQ(s.lines.size(), 7u);
  EXPECT_NE(s.lines[1]["error"].get<std::string>().find("unknown command"), std::string::npos);
  EXPECT_NE(s.lines[2]["error"].get<std::string>().find("N must be"), std::string::npos);
  EXPECT_NE(s.lines[3]["error"].get<std::string>().find("expected 'slice tg"), std::string::npos);
  EXPECT_NE(s.lines[4]["error"].get<std::string>().find("exceed the cache of 16 tokens"), std::string::npos);
  EXPECT_NE(s.lines[5]["error"].get<std::string>().find("nothing may follow"), std::string::npos);
  for (size_t i = 1; i < 6; ++i) EXPECT_EQ(s.lines[i]["ok"], false);
  EXPECT_EQ(s.lines[6]["ok"], true);
}

TEST(ServeBench, TestDelayBusyWaitsInsideEverySlice) {
  // 20 ms per token is far above what a token of the small synthetic model costs.
  const Served s = serve("-c 16 -t 1", "slice tg 4\\nslice pp 4\\n", "QUANT_TEST_DELAY_US=20000");
  ASSERT_EQ(s.code, 0) << s.err;
  ASSERT_EQ(s.lines.size(), 3u);
  EXPECT_EQ(s.lines[0]["test_delay_us"], 20000);
  EXPECT_GE(s.lines[1]["seconds"].get<double>(), 0.08);
  EXPECT_GE(s.lines[2]["seconds"].get<double>(), 0.08);
  EXPECT_NE(s.err.find("test-only slowdown"), std::string::npos);
  for (size_t i = 1; i < 3; ++i) EXPECT_GE(s.lines[i]["test_delay_us"].get<double>(), 20000) << s.lines[i].dump();
  const Served bad = serve("-c 16", "", "QUANT_TEST_DELAY_US=fast");
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(bad.lines.empty());
  EXPECT_NE(bad.err.find("QUANT_TEST_DELAY_US: 'fast'"), std::string::npos) << bad.err;
}

TEST(ServeBench, TestSlowdownPctStretchesEveryTokenByItsOwnTime) {
  // 50%: each token busy-waits as long as it took, so about half of every slice is the slowdown.
  const Served s = serve("-c 64 -t 1", "slice tg 16\\nslice pp 32\\n", "QUANT_TEST_SLOWDOWN_PCT=50");
  ASSERT_EQ(s.code, 0) << s.err;
  ASSERT_EQ(s.lines.size(), 3u);
  EXPECT_EQ(s.lines[0]["test_slowdown_pct"], 50);
  for (size_t i = 1; i < 3; ++i) {
    const double spun = s.lines[i]["test_delay_us"].get<double>() * 1e-6 * s.lines[i]["tokens"].get<double>();
    const double fraction = spun / s.lines[i]["seconds"].get<double>();
    // At least half (the wait follows the token's own time, preemptions included); more only when the
    // wait itself is preempted past its end.
    EXPECT_GT(fraction, 0.45) << s.lines[i].dump();
    EXPECT_LT(fraction, 0.95) << s.lines[i].dump();
  }
  const Served none = serve("-c 16", "slice tg 2\\n");
  ASSERT_EQ(none.lines.size(), 2u);
  EXPECT_EQ(none.lines[1]["test_delay_us"], 0);
  const Served bad = serve("-c 16", "", "QUANT_TEST_SLOWDOWN_PCT=95");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("QUANT_TEST_SLOWDOWN_PCT: '95' is not a percentage in 0..90"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace quant
