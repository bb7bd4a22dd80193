// Suites and variants: every bad field is rejected with the file and the JSON path of the field; the
// shipped files are valid and the pr suite covers every KV type on both builds.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "harness/plan/suite.h"
#include "harness/plan/variants.h"
#include "faults_test_support.h"
#include "harness_test_support.h"
#include "quant/error.h"
#include "quant/kv_types.h"

namespace quant::harness {
namespace {

const char* kVariants = R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
  {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "OFF"}},
  {"name": "vulkan", "backend": "vulkan", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "ON"}}]})";

using test::error_of;  // "" when nothing is thrown

std::string variants_error(const std::string& text) {
  const std::string path = test::temp_dir("variants") + "/variants.json";
  test::write_file(path, text);
  return error_of([&] { load_variants(path); });
}

void expect_variants_error(const std::string& text, const std::string& where, const std::string& what) {
  const std::string e = variants_error(text);
  EXPECT_NE(e.find("variants.json: " + where + ": "), std::string::npos) << e;
  EXPECT_NE(e.find(what), std::string::npos) << e;
}

std::string with(const std::string& variants_body) {
  return R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [)" + variants_body + "]}";
}

TEST(Variants, BadFieldsNameTheFileAndPath) {
  const std::string cpu = R"({"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release"})";
  expect_variants_error(with(R"({"name": "cpu", "backend": "cpu", "build_type": "Release"})"), "$.variants",
                        "exactly one variant must have \"default\": true (found 0)");
  expect_variants_error(with(cpu + "," + R"({"name": "b", "default": true, "backend": "cpu", "build_type": "Release"})"),
                        "$.variants", "(found 2)");
  expect_variants_error(with(R"({"name": "cpu", "default": true, "backend": "cpu", "build_type": "Debug"})"),
                        "$.variants[0].build_type", "the default variant must be a Release build");
  expect_variants_error(with(R"({"name": "gpu", "default": true, "backend": "vulkan", "build_type": "Release",
                                 "cmake_options": {"ENGINE_VULKAN": "ON"}})"),
                        "$.variants[0].backend", "the default variant must be CPU-only");
  expect_variants_error(with(cpu + R"(, {"name": "x", "backend": "cuda", "build_type": "Release"})"),
                        "$.variants[1].backend", "unknown backend (valid: cpu, vulkan)");
  expect_variants_error(with(cpu + R"(, {"name": "x", "backend": "vulkan", "build_type": "Release"})"),
                        "$.variants[1].backend", "needs cmake_options.ENGINE_VULKAN = \"ON\"");
  expect_variants_error(with(cpu + R"(, {"name": "cpu", "backend": "cpu", "build_type": "Release"})"),
                        "$.variants[1].name", "duplicate variant name 'cpu'");
  expect_variants_error(with(R"({"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "colour": 1})"),
                        "$.variants[0].colour", "unknown field");
  expect_variants_error(with(R"({"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release",
                                 "cmake_options": {"ENGINE_VULKAN": 1}})"),
                        "$.variants[0].cmake_options.ENGINE_VULKAN", "expected a string");
  expect_variants_error(with(R"({"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release",
                                 "build_dir": "../elsewhere"})"),
                        "$.variants[0].build_dir", "must be a folder inside the project");
  expect_variants_error(R"({"schema": "bench-all.suite", "schema_version": 1, "variants": []})", "$.schema",
                        "expected \"bench-all.variants\"");
  const std::string bad_json = variants_error("{\"schema\": ");
  EXPECT_NE(bad_json.find("variants.json: not valid JSON (byte"), std::string::npos) << bad_json;
  EXPECT_NE(error_of([] { load_variants("/nonexistent/variants.json"); }).find("/nonexistent/variants.json: cannot open"),
            std::string::npos);
}

class SuiteValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("suite");
    test::write_file(dir_ + "/variants.json", kVariants);
    variants_ = load_variants(dir_ + "/variants.json");
  }
  nlohmann::json good() const {
    return nlohmann::json::parse(R"({"schema": "bench-all.suite", "schema_version": 1, "name": "t",
      "variants": ["cpu"], "models": [{"name": "m", "file": "m.gguf"}], "texts": [{"name": "t", "file": "t.txt"}],
      "kv": ["fp32", {"k": "turbo_kv_4b", "v": "fp16"}],
      "metrics": {"ppl": {"ctx": [128]}, "speed": {"n_prompt": 8, "n_gen": 8, "depths": [0, 64]}}})");
  }
  std::string error(const nlohmann::json& suite) {
    const std::string path = dir_ + "/suite.json";
    test::write_file(path, suite.dump());
    return error_of([&] { load_suite(path, variants_); });
  }
  void expect_error(const nlohmann::json& suite, const std::string& where, const std::string& what) {
    const std::string e = error(suite);
    EXPECT_NE(e.find("suite.json: " + where + ": "), std::string::npos) << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  }
  std::string dir_;
  VariantSet variants_;
};

TEST_F(SuiteValidation, GoodSuiteLoads) {
  const std::string path = dir_ + "/suite.json";
  test::write_file(path, good().dump());
  const Suite s = load_suite(path, variants_);
  ASSERT_EQ(s.kv.size(), 2u);
  EXPECT_EQ(s.kv[0], (KvPair{"fp32", "fp32"}));
  EXPECT_EQ(s.kv[1], (KvPair{"turbo_kv_4b", "fp16"}));
  ASSERT_TRUE(s.speed && s.ppl);
  EXPECT_EQ(s.speed->depths, (std::vector<int>{0, 64}));
  EXPECT_EQ(s.sha256.size(), 64u);
}

TEST_F(SuiteValidation, BadFieldsNameTheFileAndPath) {
  auto j = good();
  j["kv"][1]["k"] = "turbo_kv_9b";
  expect_error(j, "$.kv[1].k", "unknown KV cache type 'turbo_kv_9b' (valid: fp32, fp16");
  j = good();
  j["metrics"]["speed"]["depths"][1] = -4;
  expect_error(j, "$.metrics.speed.depths[1]", "expected an integer in 0..");
  j = good();
  j["metrics"]["speed"]["depths"][1] = "x";
  expect_error(j, "$.metrics.speed.depths[1]", "got \"x\"");
  j = good();
  j["variants"][0] = "cuda";
  expect_error(j, "$.variants[0]", "unknown variant 'cuda'");
  j = good();
  j.erase("models");
  expect_error(j, "$", "missing required field 'models'");
  j = good();
  j["metrics"]["speed"]["repz"] = 3;
  expect_error(j, "$.metrics.speed.repz", "unknown field");
  j = good();
  j["metrics"]["speed"]["n_prompt"] = 0;
  j["metrics"]["speed"]["n_gen"] = 0;
  expect_error(j, "$.metrics.speed", "nothing to measure");
  j = good();
  j["kv"].push_back("fp32");
  expect_error(j, "$.kv", "fp32/fp32 is listed twice");
  j = good();
  j.erase("texts");
  expect_error(j, "$", "metrics.ppl needs a \"texts\" list");
  j = good();
  j["models"].push_back({{"name", "m"}, {"file", "other.gguf"}});
  expect_error(j, "$.models[1].name", "duplicate name 'm'");
  j = good();
  j["threads"] = 0;
  expect_error(j, "$.threads", "expected an integer in 1..1024");
  j = good();
  j["metrics"] = nlohmann::json::object();
  expect_error(j, "$.metrics", "needs \"ppl\" or \"speed\"");
  j = good();
  j["speed_overrides"] = {{"vulkan", {{"reps", 2}}}};
  expect_error(j, "$.speed_overrides.vulkan", "variant 'vulkan' is not in this suite's variants");
  j = good();
  j["speed_overrides"] = {{"cpu", {{"n_gen", 2}}}};
  expect_error(j, "$.speed_overrides.cpu.n_gen", "unknown field (valid: reps, inner_reps, warmup, depths, kv)");
  j = good();
  j["speed_overrides"] = {{"cpu", {{"kv", {"q4_0"}}}}};
  expect_error(j, "$.speed_overrides.cpu.kv", "KV pair q4_0/q4_0 is not in the suite's kv list");
  j = good();
  j["speed_overrides"] = {{"cpu", {{"depths", nlohmann::json::array()}}}};
  expect_error(j, "$.speed_overrides.cpu.depths", "needs at least one depth");
  j = good();
  j["schema_version"] = 7;
  expect_error(j, "$.schema_version", "expected an integer in 1..1");
}

TEST(ShippedFiles, VariantsAndSuitesAreValid) {
  namespace fs = std::filesystem;
  const std::string root = QUANT_SOURCE_DIR;
  const VariantSet set = load_variants(root + "/harness/variants.json");
  const Variant& def = set.default_variant();
  EXPECT_EQ(def.backend, "cpu");
  EXPECT_EQ(def.build_type, "Release");
  ASSERT_NE(set.find("vulkan"), nullptr);
  EXPECT_EQ(set.find("vulkan")->cmake_options.at("ENGINE_VULKAN"), "ON");
  for (const char* name : {"smoke", "pr", "release"}) {
    const Suite s = load_suite(suite_path(root, name), set);
    EXPECT_EQ(s.name, name);
  }
  // The CI gate's suite: every KV type (K = V) on the default build and on the Vulkan build (the ON vs OFF
  // table) and the peer engine llama.cpp (the vs llama.cpp column); baselines/pr judges the default build only.
  const Suite pr = load_suite(suite_path(root, "pr"), set);
  std::set<std::string> types;
  for (const auto& kv : pr.kv)
    if (kv.k == kv.v) types.insert(kv.k);
  for (KvType t : all_kv_types()) EXPECT_TRUE(types.count(std::string(kv_type_name(t)))) << kv_type_name(t);
  EXPECT_EQ(pr.variants, (std::vector<std::string>{def.name, "vulkan", "llama.cpp"}));
  ASSERT_NE(set.find("llama.cpp"), nullptr);
  EXPECT_TRUE(set.find("llama.cpp")->is_peer());
  EXPECT_EQ(set.find("llama.cpp")->bin_dir.front(), "$LLAMA_CPP_BIN");
  const Suite smoke = load_suite(suite_path(root, "smoke"), set);
  EXPECT_EQ(smoke.variants, std::vector<std::string>{def.name});
}

}  // namespace
}  // namespace quant::harness
