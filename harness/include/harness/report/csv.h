#pragma once
// CSV exports for spreadsheets and scripts/plot.py: one row per cell measure (with its statistics),
// one per comparison, one per raw sample.
#include <string>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

std::string measures_csv(const Results& r, const Analysis& a);
std::string comparisons_csv(const Results& r, const Analysis& a);
std::string samples_csv(const Results& r);

}  // namespace quant::harness
