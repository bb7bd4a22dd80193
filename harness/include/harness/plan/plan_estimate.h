#pragma once
// How long a plan will take: for each cell, the mean wall time of its runs in earlier journals under
// <root>/reports (the same cell id), else a model-size estimate (weight bytes read per token, tokens the
// cell's runs process, model loading). `bench-all plan` prints it.
#include <map>
#include <string>
#include <vector>

#include "harness/plan/cells.h"
#include "harness/plan/inputs.h"
#include "harness/plan/suite.h"

namespace quant::harness {

struct PlanEstimate {
  int cells = 0, runs = 0;
  double seconds = 0;
  int from_journal = 0, from_model_size = 0;  // cells estimated each way
};

// Mean wall seconds per run, by cell id, over every run line of <reports_dir>/*/journal.jsonl.
std::map<std::string, double> journal_run_seconds(const std::string& reports_dir);

// Weight bytes of a model: its file, or for a generated model not written yet its spec's size.
double model_weight_bytes(const Resource& model, const SuiteFile* line);

// Seconds one run of `cell` takes by the model-size estimate.
double model_size_run_seconds(const Cell& cell, double weight_bytes);

PlanEstimate estimate_plan(const std::vector<Cell>& cells, const Suite& suite, const Inputs& inputs,
                           const std::string& reports_dir);

}  // namespace quant::harness
