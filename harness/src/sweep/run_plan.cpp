#include "harness/sweep/run_plan.h"

#include <algorithm>

namespace quant::harness {

bool has_failed_run(const CellResult& c) {
  return std::any_of(c.runs.begin(), c.runs.end(), [](const RunRecord& r) { return !r.ok(); });
}

namespace {

int most_runs(const std::vector<CellResult>& cells) {
  int most = 0;
  for (const auto& c : cells) most = std::max(most, c.cell.runs());
  return most;
}

}  // namespace

RunPlan round_robin_plan(const std::vector<CellResult>& cells) {
  RunPlan plan;
  const int rounds = most_runs(cells);
  for (int round = 0; round < rounds; ++round)
    for (size_t i = 0; i < cells.size(); ++i)
      if (round < cells[i].cell.runs()) plan.push_back({0, i, round});
  return plan;
}

RunPlan paired_plan(const std::vector<CellResult>& cells) {
  RunPlan plan;
  const int pairs = most_runs(cells);
  for (int p = 0; p < pairs; ++p)
    for (size_t i = 0; i < cells.size(); ++i) {
      if (p >= cells[i].cell.runs()) continue;
      const int first = p % 2 == 0 ? 0 : 1;
      plan.push_back({first, i, p});
      plan.push_back({1 - first, i, p});
    }
  return plan;
}

bool PlanCursor::may_run(const PlannedRun& r) const {
  for (const auto* arm : arms_) {
    const CellResult& c = (*arm)[r.cell];
    if (!c.status.empty() || has_failed_run(c)) return false;
  }
  return static_cast<int>((*arms_[static_cast<size_t>(r.arm)])[r.cell].runs.size()) == r.index;
}

std::optional<PlannedRun> PlanCursor::next() {
  while (pos_ < plan_.size()) {
    const PlannedRun& r = plan_[pos_++];
    if (may_run(r)) return r;
  }
  return std::nullopt;
}

}  // namespace quant::harness
