#include "harness/claims/claims.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/stats/format.h"
#include "harness/stats/rank_tests.h"
#include "harness/util/json_check.h"
#include "quant/error.h"
#include "quant/kv_types.h"

namespace quant::harness {

using nlohmann::json;

const Claim* ClaimsFile::find(const std::string& id) const {
  for (const auto& c : claims)
    if (c.id == id) return &c;
  return nullptr;
}

std::string claims_path(const std::string& root) {
  return (std::filesystem::path(root) / "claims" / "claims.json").string();
}

namespace {

const std::set<std::string> kMeasures = {"ppl_delta_pct", "ppl", "kld", "top1", "speed_ratio", "compression"};

KvPair kv_of(const JsonNode& n) {
  auto name = [](const JsonNode& x) {
    const std::string s = x.str();
    if (!parse_kv_type(s)) x.fail("unknown KV cache type '" + s + "' (valid: " + kv_type_list() + ")");
    return s;
  };
  if (n.is_string()) {
    const std::string s = name(n);
    return {s, s};
  }
  n.only({"k", "v"});
  return {name(n.at("k")), name(n.at("v"))};
}

ClaimSelect select_of(const JsonNode& n) {
  n.only({"model", "variant", "kv", "text", "ctx", "depth"});
  ClaimSelect s;
  if (auto x = n.opt("model")) s.model = x->str();
  if (auto x = n.opt("variant")) s.variant = x->str();
  if (auto x = n.opt("text")) s.text = x->str();
  if (auto x = n.opt("kv")) s.kv = kv_of(*x);
  if (auto x = n.opt("ctx")) s.ctx = static_cast<int>(x->integer(1, 1 << 24));
  if (auto x = n.opt("depth")) s.depth = static_cast<int>(x->integer(0, 1 << 24));
  return s;
}

ClaimCheck check_of(const JsonNode& n) {
  n.only({"measure", "select", "timing", "against", "part", "vs", "bound", "confidence", "op", "value"});
  ClaimCheck c;
  c.path = n.path();
  c.measure = n.at("measure").str();
  if (!kMeasures.count(c.measure))
    n.at("measure").fail("unknown measure '" + c.measure + "' (valid: ppl_delta_pct, ppl, kld, top1, speed_ratio, compression)");
  c.select = select_of(n.at("select"));
  if (auto b = n.opt("bound")) {
    c.bound = b->str();
    if (c.bound != "upper" && c.bound != "lower" && c.bound != "point") b->fail("expected \"upper\", \"lower\" or \"point\"");
  }
  if (auto x = n.opt("confidence")) c.confidence = x->number(0.5, 0.9999);
  c.op = n.at("op").str();
  if (c.op != "<" && c.op != "<=" && c.op != ">" && c.op != ">=") n.at("op").fail("expected <, <=, > or >=");
  c.value = n.at("value").number(-1e12, 1e12);
  if (c.measure == "speed_ratio") {
    if (auto t = n.opt("timing")) {
      c.timing = t->str();
      if (c.timing != "tg" && c.timing != "pp") t->fail("expected \"tg\" or \"pp\"");
    }
    const JsonNode a = n.at("against");
    a.only({"kv", "variant"});
    if (auto k = a.opt("kv")) c.against_kv = kv_of(*k);
    if (auto v = a.opt("variant")) c.against_variant = v->str();
    if (c.against_kv.has_value() == !c.against_variant.empty())
      a.fail("name exactly one reference: \"kv\" (another cache type) or \"variant\" (another build)");
  } else if (n.has("against") || n.has("timing")) {
    n.fail("\"against\" and \"timing\" belong to speed_ratio checks");
  }
  if (c.measure == "compression") {
    c.part = n.at("part").str();
    c.vs = n.at("vs").str();
    if (c.part != "k" && c.part != "kv") n.at("part").fail("expected \"k\" (keys only) or \"kv\" (keys and values)");
    if (c.vs != "fp16" && c.vs != "fp32") n.at("vs").fail("expected \"fp16\" or \"fp32\"");
    if (c.bound != "point") n.at("bound").fail("compression is deterministic: use \"point\"");
  } else if (n.has("part") || n.has("vs")) {
    n.fail("\"part\" and \"vs\" belong to compression checks");
  }
  return c;
}

}  // namespace

ClaimsFile load_claims(const std::string& path) {
  const json doc = read_json_file(path);
  const JsonNode root(doc, path);
  root.only({"schema", "schema_version", "note", "claims"});
  check_schema(root, "bench-all.claims", 1);
  ClaimsFile f;
  f.file = path;
  const std::regex id_re("[a-z0-9][a-z0-9_.-]*");
  for (const auto& n : root.at("claims").items()) {
    n.only({"id", "text", "checks"});
    Claim c;
    c.path = n.path();
    c.id = n.at("id").str();
    if (!std::regex_match(c.id, id_re)) n.at("id").fail("claim ids use a-z, 0-9, '_', '.', '-'");
    if (f.find(c.id)) n.at("id").fail("duplicate claim id '" + c.id + "'");
    c.text = n.at("text").str();
    const auto checks = n.at("checks").items();
    if (checks.empty()) n.at("checks").fail("a claim needs at least one check");
    for (const auto& k : checks) c.checks.push_back(check_of(k));
    f.claims.push_back(c);
  }
  return f;
}

namespace {

std::string kv_text(const KvPair& kv) { return kv.k == kv.v ? kv.k : kv.k + "/" + kv.v; }

std::string select_text(const ClaimSelect& s, const std::string& def) {
  std::string t = "variant " + (s.variant.empty() ? def : s.variant);
  if (!s.model.empty()) t += ", model " + s.model;
  if (s.kv) t += ", kv " + kv_text(*s.kv);
  if (!s.text.empty()) t += ", text " + s.text;
  if (s.ctx) t += ", ctx " + std::to_string(s.ctx);
  if (s.depth >= 0) t += ", depth " + std::to_string(s.depth);
  return t;
}

// The one cell a selector names; a failure message otherwise. `first_of_many`: several matches are fine
// (figures that depend only on the KV pair, such as compression) and the first is used.
const CellResult* select_cell(const ClaimSelect& s, Metric m, const Results& r, std::string& error,
                              bool first_of_many = false) {
  const std::string def = r.default_variant().variant.name;
  const std::string variant = s.variant.empty() ? def : s.variant;
  std::vector<const CellResult*> hits;
  for (const auto& c : r.cells) {
    const Cell& x = c.cell;
    if (x.metric != m || x.variant != variant) continue;
    if (!s.model.empty() && x.model != s.model) continue;
    if (s.kv && !(x.kv == *s.kv)) continue;
    if (m == Metric::ppl && ((!s.text.empty() && x.text != s.text) || (s.ctx && x.ctx != s.ctx))) continue;
    if (m == Metric::speed && s.depth >= 0 && x.depth != s.depth) continue;
    hits.push_back(&c);
  }
  const std::string what = std::string(metric_name(m)) + " cell with " + select_text(s, def);
  if (hits.empty()) {
    error = "no " + what + " in run " + r.run_id + " (suite " + r.suite_name + ")";
    return nullptr;
  }
  if (hits.size() > 1 && !first_of_many) {
    error = std::to_string(hits.size()) + " cells match " + what + " (e.g. " + hits[0]->cell.id + ", " +
            hits[1]->cell.id + "): narrow the selector";
    return nullptr;
  }
  if (first_of_many)
    for (const CellResult* h : hits)
      if (h->ok()) return h;
  if (!hits[0]->ok()) {
    error = "cell " + hits[0]->cell.id + " has no numbers (" + hits[0]->status + ": " + hits[0]->reason + ")";
    return nullptr;
  }
  return hits[0];
}

double z_of(double confidence) { return normal_quantile(1 - (1 - confidence) / 2); }

double median_sample(const CellResult& c, const std::function<double(const json&)>& get) {
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup) v.push_back(get(r.sample));
  return v.empty() ? 0 : median(v);
}

std::vector<double> pooled(const CellResult& c, const std::string& measure) {
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup && r.sample.contains(measure))
      for (const auto& x : r.sample.at(measure)) v.push_back(x.get<double>());
  return v;
}

bool compare_op(double x, const std::string& op, double v) {
  if (op == "<") return x < v;
  if (op == "<=") return x <= v;
  if (op == ">") return x > v;
  return x >= v;
}

std::string bound_name(const ClaimCheck& c) {
  if (c.bound == "point") return "measured value";
  return c.bound + " end of the " + fmt("%.0f", c.confidence * 100) + "% interval";
}

bool synthetic_model(const Results& r, const CellResult& c) {
  const Resource* m = r.inputs.model(c.cell.model);
  return m && m->synthetic;
}

}  // namespace

CheckOutcome evaluate_check(const ClaimCheck& c, const Results& r) {
  CheckOutcome o;
  std::string error;
  const Metric metric = c.measure == "speed_ratio" ? Metric::speed : Metric::ppl;
  // Compression comes from any cell of the KV pair; prefer a ppl cell, else a speed cell.
  const bool geometry = c.measure == "compression";
  const CellResult* cell = select_cell(c.select, metric, r, error, geometry);
  if (!cell && geometry) {
    std::string e2;
    cell = select_cell(c.select, Metric::speed, r, e2, true);
  }
  if (!cell) {
    o.why = error;
    o.absent = error.rfind("no ", 0) == 0;
    return o;
  }
  o.cells.push_back(cell);
  double x = 0, lo = 0, hi = 0;
  std::string unit;
  auto pct = [](double v) { return fmt("%+.2f", v) + "%"; };
  if (c.measure == "ppl_delta_pct" || c.measure == "kld" || c.measure == "top1" || c.measure == "ppl") {
    if (c.measure != "ppl" && !cell->cell.kld) {
      o.why = "cell " + cell->cell.id + " was measured without --kld (no paired figures)";
      return o;
    }
    if ((c.measure == "ppl" || c.measure == "ppl_delta_pct") && synthetic_model(r, *cell)) {
      o.why = "cell " + cell->cell.id + " measured a model with synthetic weights: its perplexity means nothing";
      return o;
    }
    const double z = z_of(c.confidence);
    if (c.measure == "ppl_delta_pct") {
      const double base = median_sample(*cell, [](const json& s) { return s.at("kld").at("ppl_base").get<double>(); });
      const double d = median_sample(*cell, [](const json& s) { return s.at("kld").at("ppl_delta").get<double>(); });
      const double se = median_sample(*cell, [](const json& s) { return s.at("kld").at("ppl_delta_uncertainty").get<double>(); });
      x = 100 * d / base;
      lo = x - z * 100 * se / base;
      hi = x + z * 100 * se / base;
      o.figure = "PPL delta " + pct(x) + " [" + pct(lo) + ", " + pct(hi) + "]";
    } else if (c.measure == "ppl") {
      x = median_sample(*cell, [](const json& s) { return s.at("ppl").get<double>(); });
      const double se = median_sample(*cell, [](const json& s) { return s.at("ppl_uncertainty").get<double>(); });
      lo = x - z * se;
      hi = x + z * se;
      o.figure = "PPL " + fmt_ppl(x) + " [" + fmt_ppl(lo) + ", " + fmt_ppl(hi) + "]";
    } else if (c.measure == "kld") {
      x = median_sample(*cell, [](const json& s) { return s.at("kld").at("mean_kld").get<double>(); });
      const double se = median_sample(*cell, [](const json& s) { return s.at("kld").at("kld_uncertainty").get<double>(); });
      lo = x - z * se;
      hi = x + z * se;
      o.figure = "KLD " + fmt_small(x) + " [" + fmt_small(lo) + ", " + fmt_small(hi) + "]";
    } else {
      x = median_sample(*cell, [](const json& s) { return s.at("kld").at("top1_agreement").get<double>(); });
      const double n = median_sample(*cell, [](const json& s) { return s.at("n_scored").get<double>(); });
      const double se = n > 0 ? std::sqrt(std::max(0.0, x * (1 - x)) / n) : 0;
      lo = x - z * se;
      hi = x + z * se;
      o.figure = "top-1 agreement " + fmt_percent(x) + " [" + fmt_percent(lo) + ", " + fmt_percent(hi) + "]";
    }
  } else if (c.measure == "speed_ratio") {
    const std::string variant = c.against_variant.empty() ? cell->cell.variant : c.against_variant;
    const KvPair kv = c.against_kv ? *c.against_kv : cell->cell.kv;
    const std::string ref_id = cell_id_with(cell->cell, variant, kv);
    const CellResult* ref = r.cell(ref_id);
    if (!ref || !ref->ok()) {
      o.why = "reference cell " + ref_id + (ref ? " has no numbers (" + ref->status + ")" : " is not in the results");
      // A run without the reference variant (a baseline stores one variant), or with a peer engine that is not
      // installed here or lacks the cache type, leaves the claim uncovered, not false.
      const VariantResult* rv = r.variant(variant);
      const bool variant_measured = std::any_of(r.cells.begin(), r.cells.end(),
                                                [&](const CellResult& x) { return x.cell.variant == variant; });
      o.absent = !rv || !variant_measured || (ref && ref->status == "unsupported" && rv->variant.is_peer());
      return o;
    }
    o.cells.push_back(ref);
    const std::string m = c.timing + "_tok_s";
    const auto a = pooled(*cell, m), b = pooled(*ref, m);
    if (a.empty() || b.empty()) {
      o.why = "no " + m + " samples in " + cell->cell.id + " or " + ref_id;
      return o;
    }
    BootstrapOptions bo;
    bo.level = c.confidence;
    bo.seed = derive_seed(1, "claim|" + cell->cell.id + "|" + ref_id + "|" + m);
    x = median(a) / median(b);
    const Interval ci = bootstrap_ratio_ci(a, b, bo);
    lo = ci.lo;
    hi = ci.hi;
    o.figure = c.timing + " tok/s ratio " + fmt_ratio_ci(x, ci) + " (" + cell->cell.id + " / " + ref_id + ")";
  } else {  // compression
    const json& comp = cell->engine.contains("kv") ? cell->engine.at("kv").value("compression", json()) : json();
    const std::string key = c.part + "_vs_" + c.vs;
    if (!comp.is_object() || !comp.contains(key)) {
      o.why = "cell " + cell->cell.id + " does not report kv.compression." + key;
      return o;
    }
    x = lo = hi = comp.at(key).get<double>();
    o.figure = std::string(c.part == "k" ? "K-only" : "K+V") + " compression vs " + c.vs + " " + fmt("%.2f", x) + "x (" +
               kv_text(cell->cell.kv) + ")";
  }
  o.measured = x;
  o.lo = lo;
  o.hi = hi;
  const double b = c.bound == "upper" ? hi : c.bound == "lower" ? lo : x;
  o.compared = b;
  o.pass = compare_op(b, c.op, c.value);
  if (!o.pass)
    o.why = c.measure + ": the " + bound_name(c) + " is " + fmt("%.4g", b) + ", not " + c.op + " " + fmt("%.4g", c.value) +
            " (" + o.figure + ", cell " + cell->cell.id + ")";
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

std::string release_claims_section(const std::string& claims_file, const std::string& link, const Results& r) {
  if (!std::filesystem::exists(claims_file)) return "";
  const ClaimsFile f = load_claims(claims_file);
  std::ostringstream o;
  o << "Every claim of the project's claims file checked by bench-all against these results:\n\n";
  for (const auto& c : f.claims) {
    const ClaimOutcome co = evaluate_claim(c, r);
    bool absent = true;
    for (const auto& ch : co.checks) absent &= ch.absent;
    if (absent) {
      o << "- `" << c.id << "`: not covered by the cells of this run.\n";
      continue;
    }
    std::string figs;
    for (const auto& ch : co.checks)
      if (!ch.figure.empty()) figs += (figs.empty() ? "" : "; ") + ch.figure;
    o << "- **" << (co.pass ? "holds" : "FAILS") << "** [claim: " << c.id << "](" << link << "): " << c.text;
    if (!figs.empty()) o << " Measured: `" << figs << "`.";
    for (const auto& reason : co.reasons) o << " Why it fails: `" << reason << "`.";
    o << "\n";
  }
  return o.str();
}

}  // namespace quant::harness
