#pragma once
// One table over every model of a sweep: size, head dim, speed with the default cache per depth, and each
// other build's speed relative to the default build ("accelerator ON vs OFF across model sizes").
#include <string>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

// The cache pair users get without -k/-v (quant's defaults).
inline const KvPair kDefaultKvPair{"turbo_kv_4b", "fp16"};

// Empty when fewer than two models have speed cells.
std::string render_model_sizes(const Results& r, const Analysis& a, const std::string& heading);

}  // namespace quant::harness
