#pragma once
// How long a plan will take: for each cell, the mean wall time of its runs in earlier journals under
// <root>/reports (the same cell id), else a model-size estimate (weight bytes read per token, tokens the
// cell's runs process, model loading) for the default build, scaled for other variants (lavapipe, a peer
// engine) by how much slower they ran than the default build on the same cells in those journals.
// `bench-all plan` prints it per cell, per variant and per model.
#include <functional>
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
  int not_run = 0;                            // cells the sweep records without running (e.g. unsupported by a peer)
  std::vector<double> cell_seconds;           // per cell of the plan, in its order
  std::map<std::string, double> variant_factor;  // learned: run time relative to the default variant
};

// Mean wall seconds per run, by cell id, over every run line of <reports_dir>/*/journal.jsonl.
std::map<std::string, double> journal_run_seconds(const std::string& reports_dir);

// What the model-size estimate knows of a model: its weight bytes (its file, or for a generated model not
// written yet its spec's size) and, for a generated model, its shape.
struct ModelCost {
  double weight_bytes = 0, params = 0;
  int n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;  // 0: unknown
};
ModelCost model_cost(const Resource& model, const SuiteFile* line);
double model_weight_bytes(const Resource& model, const SuiteFile* line);

// For each variant other than `reference`: the median, over cells the journals saw for both, of its mean
// run time divided by the reference variant's on the same cell (the same id after the variant).
std::map<std::string, double> variant_factors(const std::map<std::string, double>& run_seconds,
                                              const std::string& reference);

// Seconds one run of `cell` takes by the model-size estimate (the default build): from the shape when known,
// else from the weight bytes alone.
double model_size_run_seconds(const Cell& cell, const ModelCost& model);

// `not_run`: cells the sweep will record without running anything (they cost nothing).
PlanEstimate estimate_plan(const std::vector<Cell>& cells, const Suite& suite, const Inputs& inputs,
                           const std::string& reports_dir,
                           const std::function<bool(const Cell&)>& not_run = nullptr);

}  // namespace quant::harness
