#pragma once
// `bench-all plan`: how many quant processes a plan starts and how long they should take, estimated from
// the run times of an earlier sweep of the same suite (builds not included).
#include <optional>
#include <string>
#include <vector>

#include "harness/cells.h"
#include "harness/results.h"

namespace quant::harness {

struct PlanEstimate {
  int runs = 0;                // warm-up + measured processes over every cell
  double max_seconds = 0;      // every run at its timeout
  std::optional<double> seconds;  // from the earlier sweep; empty without one (or without ok runs)
  int cells_by_id = 0;         // cells timed from the same cell in the earlier sweep
  int cells_by_metric = 0;     // cells timed from the median run of their metric there
};

// Per cell: runs x the median wall time of the earlier sweep's ok runs of the same cell, else of every
// ok run of the same metric; cells with neither leave `seconds` empty.
PlanEstimate estimate_plan(const std::vector<Cell>& cells, const Results* earlier);

// reports/<suite>-*/results.json of the newest sweep of this suite (by file time), or "".
std::string newest_results_of_suite(const std::string& root, const std::string& suite_name);

// "2 h 05 min", "3 min 20 s", "12 s".
std::string duration_text(double seconds);

}  // namespace quant::harness
