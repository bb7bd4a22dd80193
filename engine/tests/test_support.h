#pragma once
// Helpers shared by the engine tests (../shared lookups and SKIP_WITHOUT_SHARED: shared_data.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shared_data.h"

namespace quant::test {

std::vector<uint8_t> read_file(const std::string& path);
std::string read_text(const std::string& path);
// A fresh path under the test temp directory.
std::string temp_path(const std::string& name);
// n draws of N(0, stddev^2) from a 64-bit Mersenne twister seeded with `seed`.
std::vector<float> randn(size_t n, uint64_t seed, float stddev = 1.0f);

// What a shell command did: its exit status (-1 when it did not exit normally), standard output and
// standard error. `cmd` runs under /bin/sh; its standard error goes to temp_path(err_name).
struct CommandRun {
  int code;
  std::string out, err;
};
CommandRun run_command(const std::string& cmd, const std::string& err_name);

}  // namespace quant::test
