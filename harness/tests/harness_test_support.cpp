#include "harness_test_support.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace quant::harness::test {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  const fs::path d = fs::temp_directory_path() /
                     ("bench-all-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string fixture(const std::string& name) { return std::string(HARNESS_TEST_DIR) + "/fixtures/" + name; }

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  const char* old = std::getenv(name);
  had_ = old != nullptr;
  if (had_) old_ = old;
  setenv(name, value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_) setenv(name_.c_str(), old_.c_str(), 1);
  else unsetenv(name_.c_str());
}

SweepOptions FakeProject::options(const std::string& out_name) const {
  SweepOptions o;
  o.root = root;
  o.suite_file = suite_file;
  o.variants_file = variants_file;
  o.out_dir = (fs::path(root) / "reports" / out_name).string();
  o.binaries = {{"cpu", FAKE_QUANT_BIN}, {"vulkan", FAKE_QUANT_BIN}};
  o.jobs = 1;
  return o;
}

FakeProject make_fake_project(const std::string& name, const nlohmann::json& suite) {
  FakeProject p;
  p.root = temp_dir(name);
  p.variants_file = p.root + "/variants.json";
  p.suite_file = p.root + "/suites/test.json";
  p.model_dir = p.root + "/models";
  p.text_dir = p.root + "/texts";
  write_file(p.variants_file, R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
    {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "OFF"}},
    {"name": "vulkan", "backend": "vulkan", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "ON"}}]})");
  write_file(p.model_dir + "/tiny.gguf", "not really a model: fake_quant only hashes it");
  write_file(p.text_dir + "/tiny.txt", "Once upon a time there was a tiny text.\n");
  nlohmann::json s = {{"schema", "bench-all.suite"},
                      {"schema_version", 1},
                      {"name", "test"},
                      {"variants", {"cpu"}},
                      {"models", {{{"name", "tiny"}, {"file", "tiny.gguf"}}}},
                      {"texts", {{{"name", "tiny"}, {"file", "tiny.txt"}}}},
                      {"kv", {"fp32", "fp16", "q8_0"}},
                      {"threads", 1},
                      {"timeout_s", 30},
                      {"metrics",
                       {{"ppl", {{"ctx", {64}}, {"chunks", 2}, {"kld", true}}},
                        {"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"depths", {0}}, {"inner_reps", 3}, {"reps", 3}, {"warmup", 1}}}}}};
  for (const auto& [k, v] : suite.items()) s[k] = v;
  write_file(p.suite_file, s.dump(2));
  return p;
}

FakeSearchPath::FakeSearchPath(const FakeProject& p)
    : model("QUANT_MODEL_PATH", p.model_dir), text("QUANT_TEXT_PATH", p.text_dir),
      shared("QUANT_SHARED_DIR", p.root + "/no-shared-here") {}

}  // namespace quant::harness::test
