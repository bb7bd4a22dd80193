#pragma once
// compare's checks of count cells: instructions and simulated LL misses per token against the
// baseline with a plain tolerance (counts under Valgrind repeat exactly, so no statistics are needed):
// the tolerance or more above the baseline is a regression, as far below an improvement.
// Judged on any host whose count provenance (tool, Valgrind version, simulated caches, kernel set,
// threads, compiler and flags) matches the baseline's; otherwise the check cannot decide.
#include <string>
#include <vector>

#include "harness/judge/compare.h"

namespace quant::harness {

std::vector<Check> judge_counts(const std::string& variant, const CellResult& base, const CellResult& cur,
                                const Thresholds& t);

// The median of one count measure over a cell's ok runs; -1 when absent.
double count_value(const CellResult& c, const std::string& measure);

}  // namespace quant::harness
