#pragma once
// A/B runs: two builds (arms) measured in one sweep, interleaved A B, B A, A B, ... cell by cell, so
// drift hits both alike; the verdict comes from a paired test on the per-pair ratios (head / base).
// `bench-all ab` builds two git revisions in worktrees; `bench-all calibrate` runs one build as both arms.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "harness/judge/compare.h"
#include "harness/store/results.h"

namespace quant::harness {

struct ArmSpec {
  std::string name;                         // "base", "head"
  std::string revision;                     // what was built (commit, or "working tree")
  VariantBuild build;                       // its quant binary
  std::map<std::string, std::string> env;   // added to the variant's environment for every run
};

struct PairedOptions {
  std::string root, suite_file, variants_file;
  std::string variant;  // "" = the default variant
  // "processes": every pair is two `quant --bench` processes; "duet": two `quant --serve-bench` processes
  // per cell time slices in turn (A B, B A, ...); "duet-parallel": both at once, one core each (duet.h).
  std::string method = "processes";
  int pairs = 6;        // measured pairs per cell (duet: rounds of slices)
  int warmup = 1;       // unmeasured pairs run first
  int slice_tg = 0, slice_pp = 0;  // duet: tokens per slice (0 = the cell's -n / -p)
  int duet_processes = 1;  // duet: pairs of processes per cell, each timing an equal share of the rounds
  ArmSpec arms[2];      // [0] base, [1] head
  bool tty = false;
};

struct PairedRun {
  std::string method = "processes";  // as PairedOptions::method
  std::vector<Cell> cells;  // the suite's speed cells of the variant
  Results arms[2];          // one results file per arm (runs' index = pair index)
};

// The run before anything is measured: cells of the chosen variant, both arms' results with every cell
// planned (missing models and unbuilt arms already marked).
struct PairedPlan {
  VariantSet variants;
  Variant variant;
  Inputs inputs;
  PairedRun run;
};
PairedPlan plan_paired(const PairedOptions& o, std::FILE* log);

// Runs every pair (by o.method); a failing run is recorded and that cell's remaining pairs are skipped.
PairedRun run_paired(const PairedOptions& o, std::FILE* log);

// Closes a paired run (either method): every cell's status settled, both arms stamped with the end time and
// the wall time since `started`.
PairedRun finish_paired(PairedRun run, std::chrono::steady_clock::time_point started);

// Paired verdicts (Wilcoxon signed-rank on log ratios, bootstrap CI of the median ratio, threshold `ab`).
GateReport ab_report(const PairedRun& run, const Thresholds& t);

// Per-pair ratios head / base of one cell's measure (pairs where both runs are ok).
std::vector<double> pair_ratios(const CellResult& base, const CellResult& head, const std::string& measure);

// The commit a revision names (`git rev-parse`); InputError naming the revision otherwise.
std::string resolve_revision(const std::string& root, const std::string& rev);
// Checks out `commit` in a worktree under <root>/.cache/ab/ (reused when present) and builds the variant.
VariantBuild build_revision(const std::string& root, const std::string& commit, const Variant& v, int jobs,
                            std::ostream& log);

}  // namespace quant::harness
