#pragma once
// `bench-all compare`: current results against the matching baselines, one verdict per check.
// Same machine class: absolute tok/s per cell, within-run ratios, and deterministic figures.
// Another machine class: only within-run ratios (each KV type vs fp32, each variant vs the default)
// and deterministic figures with the cross-machine tolerances.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/baseline.h"
#include "harness/store/results.h"
#include "harness/judge/thresholds.h"
#include "harness/judge/verdict.h"

namespace quant::harness {

struct Check {
  std::string variant, cell, measure;
  std::string kind;  // "absolute", "kv_vs_fp32", "variant_vs_default", "deterministic", "status", "counts", "ab"
  std::string baseline, current;  // the compared figures as text
  bool has_timing = false;
  TimingEvidence evidence;        // timing checks
  double threshold = 0;
  Decision decision;
  bool needs_baseline_update = false;  // a deterministic figure changed
  // The compared figures as numbers (verdict.json): NaN for status checks.
  double baseline_value = std::nan(""), current_value = std::nan("");
  const char* unit = "";        // "tok/s", "ratio" or "" (deterministic figures are in their own unit)
  int n_baseline = 0, n_current = 0;  // runs behind a timing figure
};

struct BaselineUse {
  std::string variant, file, run_id;
  Machine machine;
  bool same_machine = false;
  bool ratios_only = false;  // --ratios-only: judged as from another host whatever the machine class
};

struct GateReport {
  std::string command;             // "compare" or "ab"
  std::string title;               // first line of the Markdown
  std::vector<std::string> notes;  // what a reader must know (machine mismatch, missing baselines)
  std::vector<BaselineUse> baselines;
  std::vector<Check> checks;
  Thresholds thresholds;
  bool no_baseline = false;        // nothing of this run had a baseline: nothing was judged
  int count(Verdict v) const;
  bool failed() const;             // a regression, or a deterministic change that needs a baseline update
  // "fail" (failed()), "no baseline", "cannot decide" (a check that can never flag a slowdown), or "pass".
  std::string outcome() const;
};

// Exit codes of compare and ab: 0 pass, 1 fail, 4 no baseline stored, 5 cannot decide (2: bad command line).
inline constexpr int kExitNoBaseline = 4;
inline constexpr int kExitCannotDecide = 5;
int gate_exit_code(const GateReport& g);

GateReport compare_results(const Results& current, const std::vector<std::pair<BaselineUse, Results>>& baselines,
                           const Thresholds& t);

// Finds the baselines for every variant of `current` under <root>/baselines/<suite>/.
std::vector<std::pair<BaselineUse, Results>> find_baselines(const Results& current, const std::string& root,
                                                            std::vector<std::string>& notes);
// Uses one given results file as the baseline of every variant it holds.
std::vector<std::pair<BaselineUse, Results>> explicit_baseline(const Results& current, const std::string& file);

std::string render_gate_markdown(const GateReport& g);
nlohmann::json gate_json(const GateReport& g);

// Per-run medians of one timing measure of a cell (non-warm-up ok runs), keyed by run index.
std::vector<std::pair<int, double>> run_values(const CellResult& c, const std::string& measure);
std::vector<double> values_only(const std::vector<std::pair<int, double>>& v);
// value(cell, run k) / value(ref, run k) for every run index k both have: adjacent runs of a
// round-robin sweep share the machine's state, so the ratio cancels most drift.
std::vector<double> round_ratios(const CellResult& cell, const CellResult& ref, const std::string& measure);

}  // namespace quant::harness
