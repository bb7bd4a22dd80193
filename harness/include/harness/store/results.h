#pragma once
// The results file (schema "bench-all.results", version 1): what was measured, on what, and every raw
// sample. Statistics are derived from it (analysis.h) and stored beside the samples for readers, but the
// report is always recomputed from the samples. Layout documented in docs/bench-all-results.md.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/plan/cells.h"
#include "harness/plan/inputs.h"
#include "harness/measure/quant_run.h"
#include "harness/measure/variant_build.h"
#include "harness/plan/variants.h"

namespace quant::harness {

inline constexpr int kResultsSchemaVersion = 1;

struct CellResult {
  Cell cell;
  int plan_index = 0;     // position in the unsharded plan (merge restores this order)
  std::string status;     // "ok", "error", "missing", "unsupported", "incomplete"
  std::string reason;     // for every status but ok
  nlohmann::json engine;  // quant's build/system/backend/kv/model/config sections from the first ok run
  std::vector<RunRecord> runs;
  bool ok() const { return status == "ok"; }
};

struct VariantResult {
  Variant variant;
  VariantBuild build;
};

struct ShardInfo {      // where each shard of a merged sweep ran
  std::string shard, started, finished;
  nlohmann::json system;
};

struct Results {
  // run
  std::string run_id, started, finished, command;
  double wall_s = 0;
  std::string suite_name, suite_file, suite_sha256, suite_description;
  std::string plan_sha256;
  int plan_cells = 0;       // cells in the unsharded plan
  std::string shard;        // "i/n", or "" for a whole or merged sweep
  std::vector<ShardInfo> merged_from;
  // provenance
  nlohmann::json harness;   // bench-all's own build: git_commit, git_dirty, compiler, build_type
  nlohmann::json system;    // cpu_model, n_cores, os, hostname
  std::vector<VariantResult> variants;
  Inputs inputs;
  std::vector<CellResult> cells;

  const VariantResult* variant(const std::string& name) const;
  const VariantResult& default_variant() const;
  const CellResult* cell(const std::string& id) const;
};

// 0: every cell ok; 1: a cell failed or is incomplete; 3: none failed but some are missing or unsupported.
int sweep_exit_code(const Results& r);

// Derived cell status from runs and the planned count.
void settle_status(CellResult& c);

// Serialises the results; `analysis` (derived statistics) is stored under "analysis".
nlohmann::json results_to_json(const Results& r, const nlohmann::json& analysis);
// Loads and validates a results file; errors name the file and the JSON path.
Results load_results(const std::string& path);
// Joins shard results of one plan; errors when they are not shards of the same plan or do not cover it.
Results merge_results(const std::vector<Results>& shards, const std::vector<std::string>& files);

// bench-all's own machine and build (provenance of a sweep).
nlohmann::json harness_build_info();
nlohmann::json system_info();

}  // namespace quant::harness
