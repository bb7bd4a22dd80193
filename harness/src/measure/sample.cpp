#include "harness/measure/sample.h"

namespace quant::harness {

using nlohmann::json;

namespace {

std::optional<double> number(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return std::nullopt;
  return j.at(key).get<double>();
}

std::vector<double> numbers(const json& j, const char* key) {
  std::vector<double> v;
  if (j.is_object() && j.contains(key) && j.at(key).is_array())
    for (const auto& x : j.at(key))
      if (x.is_number()) v.push_back(x.get<double>());
  return v;
}

std::optional<PairedQuality> paired_of(const json& s) {
  if (!s.is_object() || !s.contains("kld") || !s.at("kld").is_object()) return std::nullopt;
  const json& k = s.at("kld");
  PairedQuality q;
  q.mean_kld = number(k, "mean_kld").value_or(0);
  q.kld_uncertainty = number(k, "kld_uncertainty").value_or(0);
  q.top1_agreement = number(k, "top1_agreement").value_or(0);
  q.ppl_delta = number(k, "ppl_delta").value_or(0);
  q.ppl_delta_uncertainty = number(k, "ppl_delta_uncertainty").value_or(0);
  q.ppl_base = number(k, "ppl_base").value_or(0);
  return q;
}

std::vector<double> one(const std::optional<double>& x) { return x ? std::vector<double>{*x} : std::vector<double>{}; }

}  // namespace

Sample parse_sample(const json& s) {
  Sample x;
  x.pp_tok_s = numbers(s, "pp_tok_s");
  x.tg_tok_s = numbers(s, "tg_tok_s");
  x.ppl = number(s, "ppl");
  x.ppl_uncertainty = number(s, "ppl_uncertainty");
  x.paired = paired_of(s);
  x.n_scored = number(s, "n_scored");
  x.max_tokens_in_cache = number(s, "max_tokens_in_cache");
  x.pp_instr_per_token = number(s, "pp_instr_per_token");
  x.pp_ll_miss_per_token = number(s, "pp_ll_miss_per_token");
  x.tg_instr_per_token = number(s, "tg_instr_per_token");
  x.tg_ll_miss_per_token = number(s, "tg_ll_miss_per_token");
  return x;
}

std::vector<double> sample_values(const Sample& s, Measure m) {
  switch (m) {
    case Measure::pp_tok_s: return s.pp_tok_s;
    case Measure::tg_tok_s: return s.tg_tok_s;
    case Measure::ppl: return one(s.ppl);
    case Measure::ppl_delta: return s.paired ? std::vector<double>{s.paired->ppl_delta} : std::vector<double>{};
    case Measure::kld: return s.paired ? std::vector<double>{s.paired->mean_kld} : std::vector<double>{};
    case Measure::top1: return s.paired ? std::vector<double>{s.paired->top1_agreement} : std::vector<double>{};
    case Measure::pp_instr_per_token: return one(s.pp_instr_per_token);
    case Measure::pp_ll_miss_per_token: return one(s.pp_ll_miss_per_token);
    case Measure::tg_instr_per_token: return one(s.tg_instr_per_token);
    case Measure::tg_ll_miss_per_token: return one(s.tg_ll_miss_per_token);
    case Measure::kv_bytes_per_token:  // the engine section's figures, not a sample's
    case Measure::speed_ratio:
    case Measure::compression: return {};
  }
  return {};
}

std::optional<double> sample_uncertainty(const Sample& s, Measure m) {
  switch (m) {
    case Measure::ppl: return s.ppl_uncertainty;
    case Measure::ppl_delta:
      if (s.paired) return s.paired->ppl_delta_uncertainty;
      return std::nullopt;
    case Measure::kld:
      if (s.paired) return s.paired->kld_uncertainty;
      return std::nullopt;
    case Measure::pp_tok_s:
    case Measure::tg_tok_s:
    case Measure::top1:  // a proportion: its error follows from n_scored (claims compute it)
    case Measure::pp_instr_per_token:
    case Measure::pp_ll_miss_per_token:
    case Measure::tg_instr_per_token:
    case Measure::tg_ll_miss_per_token:
    case Measure::kv_bytes_per_token:
    case Measure::speed_ratio:
    case Measure::compression: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace quant::harness
