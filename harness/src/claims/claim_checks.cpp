// Checking a claim against a results file: each check's figure with its interval at the check's
// confidence (quality figures from the engine's standard errors, speed ratios by bootstrap,
// compression exactly), held against the check's bound; then the wording rules on the claim's sentence.
#include <algorithm>
#include <cmath>
#include <optional>

#include "claim_cells.h"
#include "harness/claims/claims.h"
#include "harness/measure/sample.h"
#include "harness/stats/analysis.h"
#include "harness/stats/format.h"
#include "harness/stats/rank_tests.h"

namespace quant::harness {

using nlohmann::json;

namespace {

// A measured figure: point value, two-sided interval and its text for people.
struct Figure {
  double x = 0, lo = 0, hi = 0;
  std::string text;
};

double z_of(double confidence) { return normal_quantile(1 - (1 - confidence) / 2); }

// The median over the cell's measured runs of one value read from each typed sample.
template <class Get>
double median_sample(const CellResult& c, Get get) {
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup) v.push_back(get(sample_of(r)));
  return v.empty() ? 0 : median(v);
}

// Every timing of one measure over the cell's measured runs, pooled.
std::vector<double> pooled(const CellResult& c, Measure m) {
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup)
      for (double x : sample_values(sample_of(r), m)) v.push_back(x);
  return v;
}

std::string interval_text(const ClaimCheck& c) {
  if (c.bound == Bound::point) return "measured value";
  return std::string(bound_name(c.bound)) + " end of the " + fmt("%.0f", c.confidence * 100) + "% interval";
}

bool synthetic_model(const Results& r, const CellResult& c) {
  const Resource* m = r.inputs.model(c.cell.model);
  return m && m->synthetic;
}

Figure around(double x, double half) { return {x, x - half, x + half, ""}; }

// ppl, ppl_delta (in % of the fp32 PPL), kld and top1 of a ppl cell, with z standard errors each side.
std::optional<Figure> quality_figure(const ClaimCheck& c, const CellResult& cell, const Results& r, std::string& why) {
  if (c.measure != Measure::ppl && !cell.cell.kld) {
    why = "cell " + cell.cell.id + " was measured without --kld (no paired figures)";
    return std::nullopt;
  }
  if ((c.measure == Measure::ppl || c.measure == Measure::ppl_delta) && synthetic_model(r, cell)) {
    why = "cell " + cell.cell.id + " measured a model with synthetic weights: its perplexity means nothing";
    return std::nullopt;
  }
  const double z = z_of(c.confidence);
  auto paired = [&](double PairedQuality::*field) {
    return median_sample(cell, [&](const Sample& s) { return s.paired ? (*s.paired).*field : 0.0; });
  };
  auto pct = [](double v) { return fmt("%+.2f", v) + "%"; };
  Figure f;
  if (c.measure == Measure::ppl_delta) {
    const double base = paired(&PairedQuality::ppl_base);
    f = around(100 * paired(&PairedQuality::ppl_delta) / base, z * 100 * paired(&PairedQuality::ppl_delta_uncertainty) / base);
    f.text = "PPL delta " + pct(f.x) + " [" + pct(f.lo) + ", " + pct(f.hi) + "]";
  } else if (c.measure == Measure::ppl) {
    f = around(median_sample(cell, [](const Sample& s) { return s.ppl.value_or(0); }),
               z * median_sample(cell, [](const Sample& s) { return s.ppl_uncertainty.value_or(0); }));
    f.text = "PPL " + fmt_ppl(f.x) + " [" + fmt_ppl(f.lo) + ", " + fmt_ppl(f.hi) + "]";
  } else if (c.measure == Measure::kld) {
    f = around(paired(&PairedQuality::mean_kld), z * paired(&PairedQuality::kld_uncertainty));
    f.text = "KLD " + fmt_small(f.x) + " [" + fmt_small(f.lo) + ", " + fmt_small(f.hi) + "]";
  } else {  // top1: a proportion over the scored tokens
    const double x = paired(&PairedQuality::top1_agreement);
    const double n = median_sample(cell, [](const Sample& s) { return s.n_scored.value_or(0); });
    f = around(x, z * (n > 0 ? std::sqrt(std::max(0.0, x * (1 - x)) / n) : 0));
    f.text = "top-1 agreement " + fmt_percent(f.x) + " [" + fmt_percent(f.lo) + ", " + fmt_percent(f.hi) + "]";
  }
  return f;
}

// tok/s of the cell over tok/s of the reference, with a bootstrap CI; adds the reference to `o.cells`.
std::optional<Figure> speed_figure(const ClaimCheck& c, const CellResult& cell, const Results& r, CheckOutcome& o) {
  const std::string variant = c.against_variant.empty() ? cell.cell.variant : c.against_variant;
  const KvPair kv = c.against_kv ? *c.against_kv : cell.cell.kv;
  const std::string ref_id = cell_id_with(cell.cell, variant, kv);
  const CellResult* ref = r.cell(ref_id);
  if (!ref || !ref->ok()) {
    o.why = "reference cell " + ref_id + (ref ? " has no numbers (" + ref->status + ")" : " is not in the results");
    // A run without the reference variant (a baseline stores one variant), or with a peer engine that is not
    // installed here or lacks the cache type, leaves the claim uncovered, not false.
    const VariantResult* rv = r.variant(variant);
    const bool variant_measured =
        std::any_of(r.cells.begin(), r.cells.end(), [&](const CellResult& x) { return x.cell.variant == variant; });
    o.absent = !rv || !variant_measured || (ref && ref->status == "unsupported" && rv->variant.is_peer());
    return std::nullopt;
  }
  o.cells.push_back(ref);
  const Measure m = tok_s_of(c.timing);
  const auto a = pooled(cell, m), b = pooled(*ref, m);
  if (a.empty() || b.empty()) {
    o.why = std::string("no ") + measure_name(m) + " samples in " + cell.cell.id + " or " + ref_id;
    return std::nullopt;
  }
  BootstrapOptions bo;
  bo.level = c.confidence;
  bo.seed = derive_seed(1, "claim|" + cell.cell.id + "|" + ref_id + "|" + measure_name(m));
  const Interval ci = bootstrap_ratio_ci(a, b, bo);
  Figure f{median(a) / median(b), ci.lo, ci.hi, ""};
  f.text = std::string(timing_name(c.timing)) + " tok/s ratio " + fmt_ratio_ci(f.x, ci) + " (" + cell.cell.id + " / " +
           ref_id + ")";
  return f;
}

// The compression the engine reports for the cell's cache (deterministic: the interval is the point).
std::optional<Figure> compression_figure(const ClaimCheck& c, const CellResult& cell, std::string& why) {
  const json& comp = cell.engine.contains("kv") ? cell.engine.at("kv").value("compression", json()) : json();
  const std::string key = std::string(part_name(c.part)) + "_vs_" + vs_name(c.vs);
  if (!comp.is_object() || !comp.contains(key)) {
    why = "cell " + cell.cell.id + " does not report kv.compression." + key;
    return std::nullopt;
  }
  const double x = comp.at(key).get<double>();
  return Figure{x, x, x,
                std::string(c.part == CompressedPart::k ? "K-only" : "K+V") + " compression vs " + vs_name(c.vs) + " " +
                    fmt("%.2f", x) + "x (" + kv_text(cell.cell.kv) + ")"};
}

// The cell a check measures. Compression comes from any cell of the KV pair: a ppl cell, else a speed cell.
const CellResult* check_cell(const ClaimCheck& c, const Results& r, std::string& error) {
  const bool geometry = c.measure == Measure::compression;
  const Metric metric = c.measure == Measure::speed_ratio ? Metric::speed : Metric::ppl;
  const CellResult* cell = select_cell(c.select, metric, r, error, geometry);
  if (!cell && geometry) {
    std::string e2;
    cell = select_cell(c.select, Metric::speed, r, e2, true);
  }
  return cell;
}

std::optional<Figure> figure_of(const ClaimCheck& c, const CellResult& cell, const Results& r, CheckOutcome& o) {
  switch (c.measure) {
    case Measure::ppl:
    case Measure::ppl_delta:
    case Measure::kld:
    case Measure::top1: return quality_figure(c, cell, r, o.why);
    case Measure::speed_ratio: return speed_figure(c, cell, r, o);
    case Measure::compression: return compression_figure(c, cell, o.why);
    case Measure::pp_tok_s:  // not claim measures: load_claims rejects them
    case Measure::tg_tok_s:
    case Measure::pp_instr_per_token:
    case Measure::pp_ll_miss_per_token:
    case Measure::tg_instr_per_token:
    case Measure::tg_ll_miss_per_token:
    case Measure::kv_bytes_per_token: break;
  }
  o.why = std::string("claims cannot check ") + measure_name(c.measure);
  return std::nullopt;
}

double bound_value(const ClaimCheck& c, const Figure& f) {
  switch (c.bound) {
    case Bound::upper: return f.hi;
    case Bound::lower: return f.lo;
    case Bound::point: return f.x;
  }
  return f.x;
}

}  // namespace

CheckOutcome evaluate_check(const ClaimCheck& c, const Results& r) {
  CheckOutcome o;
  std::string error;
  const CellResult* cell = check_cell(c, r, error);
  if (!cell) {
    o.why = error;
    o.absent = error.rfind("no ", 0) == 0;
    return o;
  }
  o.cells.push_back(cell);
  const std::optional<Figure> f = figure_of(c, *cell, r, o);
  if (!f) return o;
  o.figure = f->text;
  o.measured = f->x;
  o.lo = f->lo;
  o.hi = f->hi;
  o.compared = bound_value(c, *f);
  o.pass = satisfies(o.compared, c.op, c.value);
  if (!o.pass)
    o.why = std::string(claim_measure_name(c.measure)) + ": the " + interval_text(c) + " is " + fmt("%.4g", o.compared) +
            ", not " + op_text(c.op) + " " + fmt("%.4g", c.value) + " (" + o.figure + ", cell " + cell->cell.id + ")";
  return o;
}

ClaimOutcome evaluate_claim(const Claim& c, const Results& r) {
  ClaimOutcome o;
  o.claim = &c;
  for (const auto& k : c.checks) {
    o.checks.push_back(evaluate_check(k, r));
    if (!o.checks.back().pass) o.reasons.push_back(k.path + ": " + o.checks.back().why);
  }
  for (const auto& p : wording_problems(c.text, c, o.checks, r)) o.reasons.push_back(c.path + ".text: " + p);
  o.pass = o.reasons.empty();
  return o;
}

}  // namespace quant::harness
