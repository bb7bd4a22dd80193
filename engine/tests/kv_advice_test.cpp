// "A KV type wrong for the model": the rule (3-5 bit types below head_dim 32) and what quant prints for it
// (one stderr line per poor choice and the --json `warnings` array; the run goes on with the asked type).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "quant/kv_advice.h"
#include "quant/synthetic_model.h"
#include "test_support.h"

namespace quant {
namespace {

TEST(KvAdvice, SmallHeadDimsWarnForTheLowBitTypesOnly) {
  const auto w = kv_type_warnings(KvType::turbo_kv_4b, KvType::fp16, 8);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("-k turbo_kv_4b at head_dim 8"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("-k q8_0"), std::string::npos) << "names a better choice: " << w[0];
  EXPECT_EQ(kv_type_warnings(KvType::q4_0, KvType::uniform_4b, 16).size(), 2u);
  for (KvType t : {KvType::fp32, KvType::fp16, KvType::q8_0}) EXPECT_TRUE(kv_type_warnings(t, t, 8).empty());
  for (KvType t : all_kv_types()) {
    EXPECT_TRUE(kv_type_warnings(t, t, 32).empty()) << kv_type_name(t);
    EXPECT_TRUE(kv_type_warnings(t, t, 64).empty()) << kv_type_name(t);
  }
}

using QuantRun = test::CommandRun;

QuantRun quant(const std::string& args) { return test::run_command(std::string(QUANT_BIN) + " " + args, "kv-advice-stderr.txt"); }

std::string model_with_head_dim(int head_dim) {
  SyntheticSpec s;  // 4 heads
  s.n_embd = 4 * head_dim;
  const std::string path = test::temp_path("kv-advice-hd" + std::to_string(head_dim) + ".gguf");
  make_synthetic_model(s).write(path);
  return path;
}

TEST(KvAdvice, QuantWarnsOnStderrAndInJsonAndStillRuns) {
  const std::string small = model_with_head_dim(16), real = model_with_head_dim(64);
  const std::string bench = " --bench -p 8 -n 4 -r 1 -t 1 --json";
  QuantRun r = quant(small + bench + " -k turbo_kv_4b -v fp16");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("quant: warning: -k turbo_kv_4b at head_dim 16"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["kv"]["k_type"], "turbo_kv_4b") << "the asked type is used";
  r = quant(small + bench + " -k q8_0 -v q8_0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("at head_dim"), std::string::npos) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["warnings"].empty());
  r = quant(real + bench + " -k turbo_kv_4b -v fp16");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("at head_dim"), std::string::npos) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["warnings"].empty());
}

}  // namespace
}  // namespace quant
