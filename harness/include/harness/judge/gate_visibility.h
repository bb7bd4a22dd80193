#pragma once
// What a verdict could have seen: the smallest slowdown each method the gate used detects in 95% of
// trials, from the calibration stored in baselines/thresholds.json (`bench-all calibrate --write`).
// Every verdict.md ends with it, so a PASS is read as "nothing this gate can see", not "no slowdown".
#include <string>

#include "harness/judge/compare.h"

namespace quant::harness {

// One Markdown paragraph: "This gate can see slowdowns of X% or more ..." with a line per method.
std::string visibility_footer(const GateReport& g);

}  // namespace quant::harness
