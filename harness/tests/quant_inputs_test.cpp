// quant on files and sizes that hang or exhaust memory (issue 22, items 9 and 10): a FIFO as the model, a
// device or folder as the text, a context far beyond the memory; each is a one-line error or, for a
// generation that uses a few positions of a huge -c, a small cache.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness/util/process.h"
#include "harness_test_support.h"
#include "quant/synthetic_model.h"

namespace quant::harness {
namespace {

std::string small_model() {
  static const std::string path = [] {
    const std::string p = test::temp_dir("quant-inputs") + "/synth.gguf";
    make_synthetic_model(SyntheticSpec{}).write(p);
    return p;
  }();
  return path;
}

ProcessResult quant(std::vector<std::string> args) {
  args.insert(args.begin(), QUANT_BIN);
  return run_process(args, {}, 30);
}

void expect_one_line_error(const ProcessResult& r, int code, const std::string& needle) {
  EXPECT_FALSE(r.timed_out) << "quant hung";
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(QuantInputs, AFifoModelIsRefusedWithoutWaiting) {
  const std::string fifo = test::temp_dir("fifo") + "/model.gguf";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_one_line_error(quant({fifo, "--info"}), 1, fifo + ": not a regular file");
}

TEST(QuantInputs, TextsThatAreNotRegularFilesAreNamed) {
  const std::string dir = test::temp_dir("ppl-dir");
  expect_one_line_error(quant({small_model(), "--ppl", dir, "-k", "fp32"}), 1, "--ppl " + dir + ": is a folder, not a text file");
  expect_one_line_error(quant({small_model(), "--ppl", "/dev/zero", "-k", "fp32"}), 1,
                        "--ppl /dev/zero: not a regular file (a device, pipe or socket)");
}

TEST(QuantInputs, DepthWithoutBenchIsACommandLineError) {
  expect_one_line_error(quant({small_model(), "--depth", "128", "-n", "4"}), 2, "--depth needs --bench");
}

TEST(QuantInputs, ACacheLargerThanMemoryIsRefusedSayingHowMuch) {
  SyntheticSpec big;
  big.head_dim = 1024;  // 64 KiB of fp32 K+V per token: 16M tokens would need 1 TiB
  big.n_head_kv = 4;
  const std::string path = test::temp_dir("big-cache") + "/wide.gguf";
  make_synthetic_model(big).write(path);
  expect_one_line_error(quant({path, "--bench", "-p", "1", "-n", "1", "-c", "16777216", "-k", "fp32", "-v", "fp32"}), 1,
                        "-c 16777216: the K/V cache would need 1048576 MiB, more than the ");
  // A generation uses the prompt and its new tokens; its cache holds those, not the whole -c.
  const ProcessResult gen = quant({path, "-p", "hello", "-n", "4", "-c", "16777216", "-k", "fp32", "-v", "fp32", "--json"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  EXPECT_LT(nlohmann::json::parse(gen.out)["config"]["n_ctx"].get<int>(), 64);
}

}  // namespace
}  // namespace quant::harness
