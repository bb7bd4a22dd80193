#pragma once
// The gate's thresholds (baselines/thresholds.json, schema "bench-all.thresholds"). The timing
// thresholds are written by `bench-all calibrate --write` from A/A runs on a machine, with the
// calibration's evidence beside them; they are reviewed in git like code, never typed in by guess.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/judge/verdict.h"

namespace quant::harness {

struct TimingThresholds {
  double compare = 0.10;  // baseline vs current, absolute tok/s on the same machine
  double ratio = 0.10;    // baseline vs current, within-run ratios (KV type vs fp32, variant vs default)
  double ab = 0.10;       // interleaved A/B pairs
  double duet = 0.01;     // duet timing: slices of two long-lived processes in turn (optional in the file)
};

// Count cells (instructions and simulated LL misses per token under Valgrind): deterministic, so a plain
// tolerance decides; more than `instr` more instructions per token is a regression.
struct CountThresholds {
  double instr = 0.01;
  double ll_miss = 0.05;
  double ll_miss_floor = 1.0;  // misses per token: smaller changes are never judged (a model that fits the LL)
};

struct Thresholds {
  std::string file;
  double alpha = 0.05;                       // significance level of the tests
  double ci_level = 0.95;                    // bootstrap intervals of ratios
  std::map<std::string, TimingThresholds> timing;  // by measure: pp_tok_s, tg_tok_s
  // Baseline from another machine class: within-run ratios only, with this added to `ratio` (one
  // machine cannot calibrate how kernels' relative speeds move between CPUs).
  double cross_machine_allowance = 0.15;
  CountThresholds counts;
  std::map<std::string, Tolerance> deterministic;        // same machine: ppl, ppl_delta, kld, top1, bytes
  std::map<std::string, Tolerance> deterministic_cross;  // baseline from another machine class
  nlohmann::json calibration;                // evidence written by `calibrate` (machine, runs, rates)

  const TimingThresholds& of(const std::string& measure) const;  // InputError when absent
};

std::string thresholds_path(const std::string& root);  // <root>/baselines/thresholds.json
Thresholds load_thresholds(const std::string& path);
nlohmann::json to_json(const Thresholds& t);

}  // namespace quant::harness
