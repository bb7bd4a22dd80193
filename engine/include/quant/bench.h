#pragma once
// llama-bench style speed measurement: random token ids from a seed, one warm-up, then repetitions.
#include <cstdint>
#include <vector>

#include "quant/session.h"

namespace quant {

struct BenchOptions {
  int n_prompt = 128;  // tokens processed as one batch (pp); 0 skips pp
  int n_gen = 128;     // tokens generated one at a time (tg); 0 skips tg
  int reps = 5;
  int depth = 0;       // tokens already in the cache before each measurement
  uint64_t seed = 1;
};

struct BenchResult {
  std::vector<double> pp_tok_s, tg_tok_s;  // one figure per repetition
  std::vector<double> pp_seconds, tg_seconds;
  int max_tokens_in_cache = 0;             // cache fill reached during tg (depth + n_gen)
  BackendStats pp_stats, tg_stats;         // backend work during the measured repetitions (warm-up excluded)
};

BenchResult run_bench(Session& s, const BenchOptions& opts);

}  // namespace quant
