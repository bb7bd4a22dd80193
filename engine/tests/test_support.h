#pragma once
// Helpers shared by the engine tests: where ../shared lives and how to skip when it is absent.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace quant::test {

// $QUANT_SHARED_DIR, else <project>/../shared.
std::string shared_dir();
// Full path of a file under the shared directory, or "" when it does not exist.
std::string shared_file(const std::string& relative);
std::vector<uint8_t> read_file(const std::string& path);
std::string read_text(const std::string& path);
// A fresh path under the test temp directory.
std::string temp_path(const std::string& name);
// n draws of N(0, stddev^2) from a 64-bit Mersenne twister seeded with `seed`.
std::vector<float> randn(size_t n, uint64_t seed, float stddev = 1.0f);

}  // namespace quant::test

// Skips the current test, saying which shared file is missing and how to point at it.
#define REQUIRE_SHARED(var, relative)                                                                       \
  const std::string var = ::quant::test::shared_file(relative);                                             \
  if (var.empty()) GTEST_SKIP() << "shared data missing: " << ::quant::test::shared_dir() << "/" << relative \
                                << " (set QUANT_SHARED_DIR to the shared/ folder)"
