#pragma once
// llama-bench style speed measurement: random token ids from a seed, one warm-up, then repetitions.
#include <cstdint>
#include <functional>
#include <vector>

#include "quant/read_probe.h"
#include "quant/session.h"

namespace quant {

struct BenchOptions {
  int n_prompt = 128;  // tokens processed as one batch (pp); 0 skips pp
  int n_gen = 128;     // tokens generated one at a time (tg); 0 skips tg
  int reps = 5;
  int depth = 0;       // tokens already in the cache before each measurement
  // Fill the depth with random encoded keys and values (Session::fill_random) instead of running the model
  // over random tokens: the measured regions take the same time, the setup a fraction of a prefill's.
  bool random_depth = false;
  uint64_t seed = 1;
  // Test-only: busy-wait this many microseconds per evaluated token inside the timed region, so the
  // benchmark gate can be shown to catch a real slowdown (quant reads it from QUANT_TEST_DELAY_US).
  double test_delay_us = 0;
  // Test-only: about this many extra instructions of real arithmetic per evaluated token inside the timed
  // region, so the instruction-count gate can be shown to catch added work (QUANT_TEST_EXTRA_WORK).
  uint64_t test_extra_work = 0;
  // Called at the start (begin = true) and end of every timed region ("pp" or "tg"), the warm-up's
  // included (measured = false): quant marks these regions for Valgrind so only they are counted.
  std::function<void(const char* part, bool begin, bool measured)> on_region;
  // When set, one read pass of this probe follows every `probe_every` decoded tokens of the measured
  // repetitions (its time is not counted as decoding), pairing each slice's speed with the bandwidth
  // the machine had right then.
  ReadProbe* probe = nullptr;
  int probe_every = 8;
};

struct BenchResult {
  std::vector<double> pp_tok_s, tg_tok_s;  // one figure per repetition
  std::vector<double> pp_seconds, tg_seconds;
  int max_tokens_in_cache = 0;             // largest cache fill reached (depth + max(n_prompt, n_gen))
  BackendStats pp_stats, tg_stats;         // backend work during the measured repetitions (warm-up excluded)
  // With a probe: per slice of probe_every decoded tokens, its tok/s and the read GB/s of the pass after it.
  std::vector<double> slice_tok_s, slice_read_gb_s;
};

BenchResult run_bench(Session& s, const BenchOptions& opts);

}  // namespace quant
