#pragma once
// What the report's tables share: finding a sweep's cell for a table position (one variant, model and cache
// pair, and a speed depth or a perplexity text and context), and how an empty position and a cache pair read.
#include <string>

#include "harness/store/results.h"

namespace quant::harness {

inline constexpr const char* kDash = "—";  // a table position with nothing to show

inline std::string kv_label(const KvPair& kv) { return kv.k + " / " + kv.v; }

// nullptr when the sweep has no such cell. `ctx_or_depth`: the depth of a speed cell, the context of a ppl cell.
const CellResult* find_cell(const Results& r, const std::string& variant, const std::string& model, const KvPair& kv,
                            Metric m, const std::string& text, int ctx_or_depth);

}  // namespace quant::harness
