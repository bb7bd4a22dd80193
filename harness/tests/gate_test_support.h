#pragma once
// Helpers for the gate's tests: fake sweeps with chosen effects, and thresholds with chosen values.
#include <map>
#include <string>

#include "harness/judge/ab.h"
#include "harness/store/results.h"
#include "harness/judge/thresholds.h"
#include "harness_test_support.h"

namespace quant::harness::test {

// A whole sweep of the fake project with extra FAKE_QUANT_* environment (noise seeded from a counter
// file in the project, so every run of the test draws the same numbers).
Results fake_sweep(const FakeProject& p, const std::string& out_name, const std::map<std::string, std::string>& env);

// Paired options over the fake project: the fake quant as both arms ("base", "head"; the head may be another
// binary), each arm with its own extra environment.
PairedOptions fake_paired_options(const FakeProject& p, int pairs, int warmup,
                                  const std::map<std::string, std::string>& base_env,
                                  const std::map<std::string, std::string>& head_env,
                                  const std::string& head_binary = FAKE_QUANT_BIN);

// run_paired with its progress sent to a scratch file.
PairedRun quiet_paired(const PairedOptions& o);

// The repository's thresholds file with the timing thresholds replaced.
Thresholds fixed_thresholds(double compare, double ratio, double ab);

// A speed-only fake suite: fp32 and q8_0 at depth 0, 5 runs of 3 timings after one warm-up run.
nlohmann::json speed_suite();

}  // namespace quant::harness::test
