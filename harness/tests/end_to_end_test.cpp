// bench-all driving the real `quant`: a small sweep on a generated model, the not-yet-built Vulkan
// backend reported as an error (never measured on the CPU instead), and the command line's errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/plan/inputs.h"
#include "harness/util/process.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness_test_support.h"
#include "shared_data.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

TEST(EndToEnd, RealQuantOnASyntheticModel) {
  // No model of the suite exists here: bench-all must generate one and label it.
  auto p = test::make_fake_project("e2e", {{"variants", {"cpu", "vulkan"}},
                                           {"models", {{{"name", "absent"}, {"file", "absent.gguf"}}}},
                                           {"texts", {{{"name", "gone"}, {"file", "gone.txt"}}}},
                                           {"kv", {"fp32", "fp16"}},
                                           {"metrics", {{"ppl", {{"ctx", {64}}, {"chunks", 2}, {"kld", true}}},
                                                        {"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"inner_reps", 2}, {"reps", 2}}}}}});
  test::FakeSearchPath paths(p);
  SweepOptions o = p.options("run");
  o.binaries = {{"cpu", QUANT_BIN}, {"vulkan", QUANT_BIN}};  // a CPU-only build standing in for the Vulkan one
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(o, log).results;
  std::fclose(log);
  ASSERT_TRUE(r.inputs.any_synthetic());
  int checked = 0;
  for (const auto& c : r.cells) {
    if (c.cell.model != kSyntheticModelName) {
      EXPECT_EQ(c.status, "missing") << c.cell.id;
      continue;
    }
    if (c.cell.variant == "cpu") {
      ASSERT_EQ(c.status, "ok") << c.cell.id << ": " << c.reason;
      EXPECT_EQ(c.engine["backend"]["used"], "cpu");
      EXPECT_EQ(c.engine["kv"]["k_type"], c.cell.kv.k);
      EXPECT_TRUE(c.engine["model"]["synthetic"].get<bool>()) << "quant must see quant.synthetic=true";
      EXPECT_EQ(c.engine["build"]["build_type"], "Release");
    } else {
      // The binary cannot run Vulkan: an error cell, with quant's own message.
      EXPECT_EQ(c.status, "error") << c.cell.id;
      EXPECT_NE(c.reason.find("Vulkan"), std::string::npos) << c.reason;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  const CellResult* fp16 = r.cell("cpu/" + std::string(kSyntheticModelName) + "/fp16,fp16/ppl/synthetic-text/c64");
  ASSERT_NE(fp16, nullptr);
  EXPECT_GT(fp16->runs[0].sample["kld"]["top1_agreement"].get<double>(), 0.9);
  EXPECT_EQ(fp16->engine["kv"]["v_bytes_per_token"].get<double>() * 2,
            r.cell("cpu/" + std::string(kSyntheticModelName) + "/fp32,fp32/ppl/synthetic-text/c64")->engine["kv"]["v_bytes_per_token"].get<double>());
}

TEST(EndToEnd, StoriesModelWhenSharedDataIsPresent) {
  const std::string dir = ::quant::test::shared_dir();
  if (::quant::test::shared_file("models/stories260K.gguf").empty())
    END_TEST_MISSING_SHARED(dir + "/models/stories260K.gguf");
  auto p = test::make_fake_project("e2e-stories", {{"models", {{{"name", "stories260K"}, {"file", "stories260K.gguf"}}}},
                                                   {"texts", {{{"name", "tinystories_a"}, {"file", "tinystories_a.txt"}}}},
                                                   {"kv", {"fp32", "fp16"}},
                                                   {"metrics", {{"ppl", {{"ctx", {128}}, {"chunks", 4}, {"kld", true}}}}}});
  test::ScopedEnv model("QUANT_MODEL_PATH", dir + "/models"), text("QUANT_TEXT_PATH", dir + "/data");
  SweepOptions o = p.options("run");
  o.binaries = {{"cpu", QUANT_BIN}};
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(o, log).results;
  std::fclose(log);
  const CellResult* fp32 = r.cell("cpu/stories260K/fp32,fp32/ppl/tinystories_a/c128");
  const CellResult* fp16 = r.cell("cpu/stories260K/fp16,fp16/ppl/tinystories_a/c128");
  ASSERT_TRUE(fp32 && fp16);
  ASSERT_EQ(fp32->status, "ok") << fp32->reason;
  ASSERT_EQ(fp16->status, "ok") << fp16->reason;
  EXPECT_FALSE(r.inputs.any_synthetic());
  EXPECT_EQ(r.inputs.model("stories260K")->sha256, "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");
  EXPECT_EQ(fp32->runs[0].sample["kld"]["ppl_delta"].get<double>(), 0.0);
  EXPECT_NE(fp16->runs[0].sample["ppl"].get<double>(), fp32->runs[0].sample["ppl"].get<double>())
      << "distinct KV types must give distinct results";
}

TEST(EndToEnd, CommandLineErrorsAreOneLine) {
  auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), BENCH_ALL_BIN);
    return run_process(args, {}, 60);
  };
  const ProcessResult none = run({});
  EXPECT_EQ(none.exit_code, 2);
  const ProcessResult bad_flag = run({"run", "--frobnicate"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("frobnicate"), std::string::npos);
  const ProcessResult no_suite = run({"run", "--suite", "/nonexistent/suite.json", "--no-plots"});
  EXPECT_EQ(no_suite.exit_code, 2);  // a command-line value naming no file, like an unknown suite name
  EXPECT_EQ(no_suite.err.rfind("bench-all: error: --suite: /nonexistent/suite.json: no such file (suites in ", 0), 0u)
      << no_suite.err;
  const ProcessResult shard = run({"plan", "--shard", "5/4"});
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_NE(shard.err.find("--shard: '5/4' needs 1 <= i <= n"), std::string::npos) << shard.err;
  const ProcessResult binary = run({"run", "--binary", "cpu", "--no-plots"});
  EXPECT_EQ(binary.exit_code, 2);
  EXPECT_NE(binary.err.find("--binary: 'cpu' is not NAME=PATH"), std::string::npos) << binary.err;
  const ProcessResult merge = run({"merge", "--out", test::temp_dir("m"), test::fixture("results-release-small.json")});
  EXPECT_EQ(merge.exit_code, 1);
  EXPECT_NE(merge.err.find("not a shard"), std::string::npos) << merge.err;
  const ProcessResult ok = run({"validate"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace
}  // namespace quant::harness
