#pragma once
// A sweep: plan the cells, build the variants they need, run every repetition as a `quant --json`
// subprocess (round-robin across cells, so drift hits every cell alike), journal each run, and gather
// the results. A failing cell is recorded and the sweep goes on.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "harness/plan/cells.h"
#include "harness/store/results.h"

namespace quant::harness {

class FolderLock;

struct SweepOptions {
  std::string root;
  std::string suite_file, variants_file;
  std::string out_dir;                           // journal.jsonl lives here
  Shard shard;
  std::map<std::string, std::string> binaries;   // variant -> prebuilt quant (skips building it)
  bool resume = false;                           // continue the journal in out_dir
  int jobs = 2;                                  // build parallelism
  int max_runs = -1;                             // stop after this many runs (simulates an interruption)
  bool tty = false;                              // progress bar instead of lines
  std::string command;                           // recorded in the results (a resume keeps the first one)
};

struct SweepOutcome {
  Results results;
  bool interrupted = false;  // stopped by max_runs before the plan was done
  std::shared_ptr<FolderLock> lock;  // the sweep folder stays locked while this is kept
};

SweepOutcome run_sweep(SweepOptions o, std::FILE* log);

// Only the plan: the cells this sweep (shard) would run, in order.
std::vector<Cell> planned_cells(const SweepOptions& o, std::FILE* log);

}  // namespace quant::harness
