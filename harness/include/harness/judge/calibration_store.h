#pragma once
// Storing a calibration in baselines/thresholds.json (`bench-all calibrate --write`). Methods are
// calibrated by separate runs (processes, duet, counts), so a new calibration replaces only the kinds it
// measured and keeps the others. A threshold is never loosened: a noisy machine's recommendation is kept
// as evidence, and the stricter threshold stays, with the false alarms and detectable slowdown measured
// at the threshold that is actually kept.
#include <nlohmann/json.hpp>

#include "harness/judge/calibrate.h"
#include "harness/judge/thresholds.h"

namespace quant::harness {

// `evidence`: what the run was (command, load average, host); stored under calibration.runs.
Thresholds store_calibration(const Thresholds& current, const Calibration& c, const nlohmann::json& evidence);

// The host's load average (1, 5, 15 min) from /proc/loadavg; empty array where it cannot be read.
nlohmann::json load_average_now();

}  // namespace quant::harness
