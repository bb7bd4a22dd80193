#pragma once
// Tests that need ../shared (models, texts, references), for the engine and the harness tests alike:
// where it lives, and what a test does when a file is missing. By default it skips, so a checkout
// without ../shared still passes; with QUANT_REQUIRE_SHARED=1 (CI) it fails, so a lost mount or a moved
// file cannot turn those tests into silent skips.
// Needs QUANT_SOURCE_DIR (the project root) defined by the test target.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace quant::test {

// $QUANT_SHARED_DIR, else <project>/../shared.
inline std::string shared_dir() {
  if (const char* env = std::getenv("QUANT_SHARED_DIR"); env && *env) return env;
  return std::string(QUANT_SOURCE_DIR) + "/../shared";
}

// Full path of a file under the shared directory, or "" when it does not exist.
inline std::string shared_file(const std::string& relative) {
  std::string p = shared_dir() + "/" + relative;
  return std::filesystem::exists(p) ? p : "";
}

// QUANT_REQUIRE_SHARED=1: missing shared data fails the test instead of skipping it.
inline bool shared_data_required() {
  const char* env = std::getenv("QUANT_REQUIRE_SHARED");
  return env && std::string(env) == "1";
}

}  // namespace quant::test

// Ends the current test because `what` (a path or a description of the missing shared data) is absent:
// a skip, or a failure under QUANT_REQUIRE_SHARED=1.
#define END_TEST_MISSING_SHARED(what)                                                                  \
  do {                                                                                                 \
    if (::quant::test::shared_data_required())                                                         \
      GTEST_FAIL() << "shared data missing: " << (what) << " (QUANT_REQUIRE_SHARED=1 requires it)";    \
    else                                                                                               \
      GTEST_SKIP() << "shared data missing: " << (what) << " (set QUANT_SHARED_DIR to the shared/ folder)"; \
  } while (0)

// Declares `var` as the full path of shared file `relative`; ends the test (END_TEST_MISSING_SHARED)
// when the file does not exist.
#define SKIP_WITHOUT_SHARED(var, relative)                                  \
  const std::string var = ::quant::test::shared_file(relative);            \
  if (var.empty()) END_TEST_MISSING_SHARED(::quant::test::shared_dir() + "/" + (relative))
