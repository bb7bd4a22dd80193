#pragma once
// One repetition of one cell of one variant, measured and recorded: the single step every kind of sweep
// (runner.h, ab.h) repeats in the order its plan asks (run_plan.h).
#include <functional>
#include <string>

#include "harness/plan/inputs.h"
#include "harness/plan/variants.h"
#include "harness/store/results.h"

namespace quant::harness {

// What runs the repetition.
struct RunTarget {
  Variant variant;        // as it runs: its env may carry an A/B arm's additions
  std::string binary;     // quant (or the peer's bench binary)
  std::string build_dir;  // a peer engine's build folder
};

// Runs repetition `index` of into.cell (quant --json, a counts run or a peer's bench), lets `vet` look at the
// record first (it may mark it an error and journal it), then appends it to into.runs.
const RunRecord& measure_once(const RunTarget& target, const Inputs& inputs, int index, CellResult& into,
                              const std::function<void(RunRecord&)>& vet = {});

}  // namespace quant::harness
