#pragma once
// Change points over the history's series: which commit moved which number, in which direction, by how
// much and with what interval; newest first. Whether a step is a regression depends on the measure:
// tok/s and top-1 agreement are better higher, PPL, PPL delta and KLD better lower.
#include <string>
#include <vector>

#include "harness/stats/change_points.h"
#include "harness/history/history_store.h"

namespace quant::harness {

struct SeriesChange {
  const HistorySeries* series = nullptr;
  ChangePoint step;
  std::string from_commit, to_commit;  // last commit before the step, first commit after it
  int64_t time = 0;                    // commit time of to_commit
  bool regression = false;             // worse in the measure's direction
};

bool higher_is_better(const std::string& measure);

// Every series' change points, newest first (ties: series key order).
std::vector<SeriesChange> history_changes(const std::vector<HistorySeries>& series, const ChangePointOptions& o = {});

// "0.71x [0.64, 0.79]" for positive figures, "+0.0312" (after - before) otherwise.
std::string step_text(const ChangePoint& c);
// One table of the changes (plain text, aligned), or a line saying there are none.
std::string render_changes(const std::vector<SeriesChange>& changes);

}  // namespace quant::harness
