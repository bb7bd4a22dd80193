#pragma once
// A run's sample as typed values: parsed once from the run record's JSON (validated on the way in by
// sample_check.h), then read through one accessor per measure instead of JSON paths at every use.
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "harness/measure/quant_run.h"
#include "harness/plan/measures.h"

namespace quant::harness {

// The paired figures of a ppl run with --kld (each against the same text through an fp32 cache).
struct PairedQuality {
  double mean_kld = 0, kld_uncertainty = 0;
  double top1_agreement = 0;
  double ppl_delta = 0, ppl_delta_uncertainty = 0;
  double ppl_base = 0;  // the fp32 cache's PPL
};

struct Sample {
  std::vector<double> pp_tok_s, tg_tok_s;  // speed runs and duet slices; empty when not measured
  std::optional<double> ppl, ppl_uncertainty;
  std::optional<PairedQuality> paired;     // ppl runs with --kld
  std::optional<double> n_scored, max_tokens_in_cache;
  std::optional<double> pp_instr_per_token, pp_ll_miss_per_token, tg_instr_per_token, tg_ll_miss_per_token;
};

Sample parse_sample(const nlohmann::json& sample);
inline Sample sample_of(const RunRecord& r) { return parse_sample(r.sample); }

// The one accessor: a measure's values in a sample (a timing's list, one value, or none when absent or
// not a sample figure), and the engine's standard error where it reports one.
std::vector<double> sample_values(const Sample& s, Measure m);
std::optional<double> sample_uncertainty(const Sample& s, Measure m);

}  // namespace quant::harness
