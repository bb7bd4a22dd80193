#pragma once
// Duet timing (`bench-all ab --method duet`, `bench-all calibrate --method duet`): per cell, base and
// head run as two long-lived `quant --serve-bench` processes that load the model once; then, round after
// round, each times one slice of the cell's pp and tg work, in turn (A B, then B A, ...), so both see
// the machine within milliseconds of each other. "duet-parallel" times both slices at once, each
// process pinned to its own core with one thread, swapping the cores every round. Each round is one run
// of the arm's results (samples: that round's slice tok/s), so the paired verdict of ab_report applies
// unchanged: median of the per-round ratios head / base, bootstrap CI, Wilcoxon signed-rank test.
#include <cstdio>
#include <string>
#include <vector>

#include "harness/judge/ab.h"

namespace quant::harness {

// "processes", "duet" or "duet-parallel"; InputError naming `flag` otherwise.
std::string parse_paired_method(const std::string& flag, const std::string& text);

// Runs every cell of the plan as a duet (o.method "duet" or "duet-parallel").
PairedRun run_duet(const PairedOptions& o, std::FILE* log);

// `quant MODEL --serve-bench ...` for a speed cell with room for its depth and slices.
std::vector<std::string> serve_command(const Cell& c, const Variant& v, const std::string& binary,
                                       const Inputs& inputs, int threads, int n_ctx);

// The verdict's first line for a duet run.
std::string duet_title(const PairedRun& run);

// CPUs this process may run on (sched_getaffinity), in order.
std::vector<int> usable_cpus();

}  // namespace quant::harness
