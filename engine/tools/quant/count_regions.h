#pragma once
// Marks bench's timed regions for Valgrind's callgrind, so instruction and simulated cache-miss counts
// cover only them (not model loading, the depth prefix or the warm-up's counts). Outside Valgrind, or
// in a build without Valgrind's headers, nothing is marked.
#include <functional>

namespace quant::cli {

// True when this process runs under Valgrind and the regions can be marked.
bool counting_regions();

// The BenchOptions::on_region hook: instrumentation starts with the first (warm-up) region so the
// simulated caches are warm; each measured region is collected and dumped as its own part ("pp", "tg").
std::function<void(const char* part, bool begin, bool measured)> count_region_hook();

}  // namespace quant::cli
