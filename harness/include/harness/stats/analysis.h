#pragma once
// Statistics derived from a results file's raw samples: per cell and measure (median, mean, sd, min,
// max, CV, bootstrap CI of the median, spread flags) and comparisons between cells (each KV type vs the
// fp32 cache, each variant vs the default build, the default build vs each peer engine) as ratios of
// medians with bootstrap CIs, and the PPL cross-check between quant and a peer.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/results.h"
#include "harness/stats/stats.h"

namespace quant::harness {

struct AnalysisOptions {
  BootstrapOptions bootstrap;  // 2000 resamples, 95%, seed 1
  double wide_cv = 0.10;       // flag a timing whose coefficient of variation exceeds this
  int min_samples = 5;         // flag a timing with fewer samples
};

struct MeasureStats {
  std::string cell, measure;  // measure: pp_tok_s, tg_tok_s, ppl, ppl_delta, kld, top1
  std::vector<double> values; // the samples the statistics come from (warm-up runs left out)
  Summary summary;
  bool has_ci = false;        // timings: bootstrap CI of the median
  Interval ci;
  double uncertainty = 0;     // quality measures: the engine's standard error (median over runs)
  std::vector<std::string> flags;
};

struct Comparison {
  std::string kind;           // "kv_vs_fp32", "variant_vs_default" or "vs_peer" (default build / peer engine)
  std::string cell, reference, measure;
  double ratio = 0;           // median(cell) / median(reference)
  Interval ci;                // bootstrap 95% CI of the ratio
  std::string verdict;        // "higher", "lower" or "inconclusive" (the interval contains 1)
  std::vector<std::string> flags;  // inherited spread flags: the comparison is not reliable
};

// The same PPL measured by the default build and a peer engine (same model, text, context, chunks and
// cache type): both should compute the same number, so a difference beyond one standard error of the
// difference, sqrt(se_quant^2 + se_peer^2), is a finding: one of the two is wrong.
struct PplCrossCheck {
  std::string cell, reference;  // the default build's cell, the peer's cell
  double ppl = 0, se = 0, peer_ppl = 0, peer_se = 0;
  bool agree = true;
};

struct Analysis {
  AnalysisOptions options;
  std::vector<MeasureStats> measures;
  std::vector<Comparison> comparisons;
  std::vector<PplCrossCheck> cross_checks;
  const MeasureStats* find(const std::string& cell, const std::string& measure) const;
  const Comparison* compare(const std::string& kind, const std::string& cell, const std::string& measure) const;
  // A comparison with a given reference cell (several peers compare one cell).
  const Comparison* compare_to(const std::string& kind, const std::string& cell, const std::string& reference,
                               const std::string& measure) const;
};

Analysis analyze(const Results& r, const AnalysisOptions& o = {});
nlohmann::json to_json(const Analysis& a);

// The id the same cell would have with another variant or KV pair (ids are built the same way as plan_cells).
std::string cell_id_with(const Cell& c, const std::string& variant, const KvPair& kv);
// The measures a cell of this metric has, in report order.
std::vector<std::string> measures_of(const Cell& c);

}  // namespace quant::harness
