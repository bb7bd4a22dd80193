#pragma once
// Helpers for the harness tests: temporary folders, scoped environment variables, and a tiny project
// (variants, suite, model and text files) that sweeps run against with fake_quant.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness/sweep/runner.h"

namespace quant::harness::test {

std::string temp_dir(const std::string& name);  // fresh, empty
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
std::string fixture(const std::string& name);   // harness/tests/fixtures/<name>

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
 private:
  std::string name_, old_;
  bool had_;
};

struct FakeProject {
  std::string root, variants_file, suite_file, model_dir, text_dir;
  SweepOptions options(const std::string& out_name) const;  // every variant runs fake_quant
};

// A suite over model "tiny" (fake bytes) and text "tiny"; `suite` fields override the defaults.
FakeProject make_fake_project(const std::string& name, const nlohmann::json& suite = {});

// Points the model and text search paths at the project (and away from ../shared).
struct FakeSearchPath {
  explicit FakeSearchPath(const FakeProject& p);
  ScopedEnv model, text, shared;
};

}  // namespace quant::harness::test
