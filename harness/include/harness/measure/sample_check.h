#pragma once
// The figures a results file carries are checked when it is read, so a hand-edited or damaged file is
// refused with its file and JSON path instead of failing later (or, worse, being stored as a baseline).
#include "harness/plan/cells.h"
#include "harness/util/json_check.h"

namespace quant::harness {

// A run's "sample": the fields analysis, reports and gates read, with their types and ranges
// (positive PPL and tok/s, as many tok/s values as the cell's inner repetitions, ...).
void check_sample(const JsonNode& sample, const Cell& cell);

// A cell's "engine" section: an object whose kv and model figures, when present, are finite numbers >= 0.
void check_engine(const JsonNode& engine);

}  // namespace quant::harness
