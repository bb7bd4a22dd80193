#include "harness/stats/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "harness/measure/sample.h"

namespace quant::harness {

using nlohmann::json;

std::string cell_id_with(const Cell& c, const std::string& variant, const KvPair& kv) {
  Cell other = c;
  other.variant = variant;
  other.kv = kv;
  return cell_id(other);
}

std::vector<std::string> measures_of(const Cell& c) {
  if (c.metric == Metric::speed) {
    std::vector<std::string> m;
    if (c.n_prompt > 0) m.push_back("pp_tok_s");
    if (c.n_gen > 0) m.push_back("tg_tok_s");
    return m;
  }
  if (c.metric == Metric::counts) {
    std::vector<std::string> m;
    if (c.n_prompt > 0) m.insert(m.end(), {"pp_instr_per_token", "pp_ll_miss_per_token"});
    if (c.n_gen > 0) m.insert(m.end(), {"tg_instr_per_token", "tg_ll_miss_per_token"});
    return m;
  }
  if (c.kld) return {"ppl", "ppl_delta", "kld", "top1"};
  return {"ppl"};
}

const MeasureStats* Analysis::find(const std::string& cell, const std::string& measure) const {
  for (const auto& m : measures)
    if (m.cell == cell && m.measure == measure) return &m;
  return nullptr;
}

const Comparison* Analysis::compare(const std::string& kind, const std::string& cell, const std::string& measure) const {
  for (const auto& c : comparisons)
    if (c.kind == kind && c.cell == cell && c.measure == measure) return &c;
  return nullptr;
}

const Comparison* Analysis::compare_to(const std::string& kind, const std::string& cell, const std::string& reference,
                                      const std::string& measure) const {
  for (const auto& c : comparisons)
    if (c.kind == kind && c.cell == cell && c.reference == reference && c.measure == measure) return &c;
  return nullptr;
}

namespace {

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", x * 100);
  return buf;
}

// Values of one measure over the cell's measured (non-warm-up, ok) runs, and the engine's uncertainty.
void collect(const CellResult& c, Measure measure, std::vector<double>& values, std::vector<double>& unc) {
  for (const auto& r : c.runs) {
    if (!r.ok() || r.warmup) continue;
    const Sample s = sample_of(r);
    for (double v : sample_values(s, measure)) values.push_back(v);
    if (auto u = sample_uncertainty(s, measure)) unc.push_back(*u);
  }
}

bool is_timing_name(const std::string& measure) {
  Measure m{};
  return measure_from_name(measure, m) && is_timing(m);
}

}  // namespace

Analysis analyze(const Results& r, const AnalysisOptions& o) {
  Analysis a;
  a.options = o;
  for (const auto& c : r.cells) {
    if (!c.ok()) continue;
    for (const auto& m : measures_of(c.cell)) {
      MeasureStats ms;
      ms.cell = c.cell.id;
      ms.measure = m;
      std::vector<double> unc;
      collect(c, parse_measure(m, "measures_of"), ms.values, unc);
      if (ms.values.empty()) continue;
      ms.summary = summarize(ms.values);
      if (!unc.empty()) ms.uncertainty = median(unc);
      if (is_timing_name(m)) {
        BootstrapOptions bo = o.bootstrap;
        bo.seed = derive_seed(o.bootstrap.seed, ms.cell + "|" + m);
        ms.ci = bootstrap_median_ci(ms.values, bo);
        ms.has_ci = true;
        if (ms.summary.n < o.min_samples)
          ms.flags.push_back("few samples (n=" + std::to_string(ms.summary.n) + " < " + std::to_string(o.min_samples) + ")");
        if (ms.summary.cv > o.wide_cv) ms.flags.push_back("wide spread (CV " + percent(ms.summary.cv) + " > " + percent(o.wide_cv) + ")");
      } else if (ms.summary.n > 1 && ms.summary.max != ms.summary.min) {
        ms.flags.push_back("nondeterministic: differs between runs");
      }
      a.measures.push_back(ms);
    }
  }
  const std::string default_variant = r.default_variant().variant.name;
  auto add = [&](const std::string& kind, const CellResult& c, const std::string& ref_id) {
    const CellResult* ref = r.cell(ref_id);
    if (!ref || !ref->ok()) return;
    for (const auto& m : measures_of(c.cell)) {
      if (!is_timing_name(m)) continue;
      const MeasureStats* x = a.find(c.cell.id, m);
      const MeasureStats* y = a.find(ref_id, m);
      if (!x || !y) continue;
      Comparison cmp;
      cmp.kind = kind;
      cmp.cell = c.cell.id;
      cmp.reference = ref_id;
      cmp.measure = m;
      cmp.ratio = x->summary.median / y->summary.median;
      BootstrapOptions bo = o.bootstrap;
      bo.seed = derive_seed(o.bootstrap.seed, kind + "|" + c.cell.id + "|" + ref_id + "|" + m);
      cmp.ci = bootstrap_ratio_ci(x->values, y->values, bo);
      cmp.verdict = cmp.ci.lo > 1 ? "higher" : cmp.ci.hi < 1 ? "lower" : "inconclusive";
      for (const auto* s : {x, y})
        for (const auto& f : s->flags) cmp.flags.push_back((s == x ? "cell: " : "reference: ") + f);
      a.comparisons.push_back(cmp);
    }
  };
  const KvPair fp32{"fp32", "fp32"};
  std::vector<std::string> peers;
  for (const auto& v : r.variants)
    if (v.variant.is_peer()) peers.push_back(v.variant.name);
  auto is_peer = [&](const std::string& v) { return std::find(peers.begin(), peers.end(), v) != peers.end(); };
  for (const auto& c : r.cells) {
    if (!c.ok() || c.cell.metric != Metric::speed) continue;
    if (!(c.cell.kv == fp32)) add("kv_vs_fp32", c, cell_id_with(c.cell, c.cell.variant, fp32));
    if (c.cell.variant != default_variant && !is_peer(c.cell.variant))
      add("variant_vs_default", c, cell_id_with(c.cell, default_variant, c.cell.kv));
    if (c.cell.variant == default_variant)
      for (const auto& p : peers) add("vs_peer", c, cell_id_with(c.cell, p, c.cell.kv));
  }
  for (const auto& c : r.cells) {
    if (!c.ok() || c.cell.metric != Metric::ppl || c.cell.variant != default_variant) continue;
    for (const auto& p : peers) {
      const std::string ref = cell_id_with(c.cell, p, c.cell.kv);
      const MeasureStats* x = a.find(c.cell.id, "ppl");
      const MeasureStats* y = a.find(ref, "ppl");
      if (!x || !y) continue;
      PplCrossCheck k{c.cell.id, ref, x->summary.median, x->uncertainty, y->summary.median, y->uncertainty, true};
      k.agree = std::fabs(k.ppl - k.peer_ppl) <= std::sqrt(k.se * k.se + k.peer_se * k.peer_se);
      a.cross_checks.push_back(k);
    }
  }
  return a;
}

json to_json(const Analysis& a) {
  json j;
  j["note"] = "derived from the runs' samples by bench-all; `bench-all report` recomputes it";
  j["options"] = {{"bootstrap_resamples", a.options.bootstrap.resamples}, {"ci_level", a.options.bootstrap.level},
                  {"seed", a.options.bootstrap.seed}, {"wide_cv", a.options.wide_cv},
                  {"min_samples", a.options.min_samples}};
  j["measures"] = json::array();
  for (const auto& m : a.measures) {
    json x{{"cell", m.cell}, {"measure", m.measure}, {"n", m.summary.n}, {"median", m.summary.median},
           {"mean", m.summary.mean}, {"sd", m.summary.sd}, {"min", m.summary.min}, {"max", m.summary.max},
           {"cv", m.summary.cv}, {"flags", m.flags}};
    if (m.has_ci) x["ci95"] = {m.ci.lo, m.ci.hi};
    if (m.uncertainty > 0) x["uncertainty"] = m.uncertainty;
    j["measures"].push_back(x);
  }
  j["comparisons"] = json::array();
  for (const auto& c : a.comparisons)
    j["comparisons"].push_back({{"kind", c.kind}, {"cell", c.cell}, {"reference", c.reference}, {"measure", c.measure},
                                {"ratio", c.ratio}, {"ci95", {c.ci.lo, c.ci.hi}}, {"verdict", c.verdict},
                                {"flags", c.flags}});
  j["ppl_cross_checks"] = json::array();
  for (const auto& k : a.cross_checks)
    j["ppl_cross_checks"].push_back({{"cell", k.cell}, {"reference", k.reference}, {"ppl", k.ppl}, {"se", k.se},
                                     {"peer_ppl", k.peer_ppl}, {"peer_se", k.peer_se}, {"agree", k.agree}});
  return j;
}

}  // namespace quant::harness
