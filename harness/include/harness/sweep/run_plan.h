#pragma once
// What a sweep runs, as an ordered list of repetitions. Every kind of sweep measures the same way
// (measure_once.h) and differs only in the order it asks for runs: a sweep round-robin across its cells,
// an A/B run pair by pair with the arms taking turns.
#include <cstddef>
#include <optional>
#include <vector>

#include "harness/store/results.h"

namespace quant::harness {

struct PlannedRun {
  int arm = 0;      // which results it fills: a sweep has one, an A/B run two (0 base, 1 head)
  size_t cell = 0;  // index into that arm's cells
  int index = 0;    // the repetition, 0 .. cell.runs()-1
};
using RunPlan = std::vector<PlannedRun>;

// Round r of every cell before round r+1, so drift hits every cell alike.
RunPlan round_robin_plan(const std::vector<CellResult>& cells);

// Pair p of every cell before pair p+1; within a pair the arms take turns (A B, B A, A B, ...) so neither
// always runs on the warmer machine. The arms hold the same cells.
RunPlan paired_plan(const std::vector<CellResult>& cells);

// The runs of one plan, over one cell list per arm.
class PlanCursor {
 public:
  PlanCursor(const RunPlan& plan, std::vector<std::vector<CellResult>*> arms) : plan_(plan), arms_(std::move(arms)) {}

  // The next planned run that may go ahead, or nothing at the end of the plan. A run is passed over when its
  // cell will not run (missing, unsupported), when a run of that cell failed in any arm (the rest of a
  // failing cell is skipped, in A/B both arms'), or when the cell already holds that run (a resumed journal).
  std::optional<PlannedRun> next();

  CellResult& cell_of(const PlannedRun& r) { return (*arms_[static_cast<size_t>(r.arm)])[r.cell]; }

 private:
  bool may_run(const PlannedRun& r) const;

  const RunPlan& plan_;
  std::vector<std::vector<CellResult>*> arms_;
  size_t pos_ = 0;
};

// Whether any run of the cell failed.
bool has_failed_run(const CellResult& c);

}  // namespace quant::harness
