#include "harness/claims.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "harness/analysis.h"
#include "harness/format.h"
#include "harness/gate_stats.h"
#include "harness/json_check.h"
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
      o.absent = !rv || (ref && ref->status == "unsupported" && rv->variant.is_peer());
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
  const double b = c.bound == "upper" ? hi : c.bound == "lower" ? lo : x;
  o.pass = compare_op(b, c.op, c.value);
  if (!o.pass)
    o.why = c.measure + ": the " + bound_name(c) + " is " + fmt("%.4g", b) + ", not " + c.op + " " + fmt("%.4g", c.value) +
            " (" + o.figure + ", cell " + cell->cell.id + ")";
  return o;
}

// ---- wording rules ---------------------------------------------------------------------------------

namespace {

const auto kIcase = std::regex::ECMAScript | std::regex::icase;

const std::regex& lossless_re() {
  static const std::regex re(R"(\blossless\b|\bno (quality )?loss\b|\bwithout (any )?(quality )?loss\b|\bzero (quality )?loss\b)", kIcase);
  return re;
}
const std::regex& faster_re() {
  static const std::regex re(R"(\bfaster than\b|\bquicker than\b|\bbeats?\b|\bbeating\b|\boutperform(s|ed|ing)?\b)", kIcase);
  return re;
}
const std::regex& times_re() {  // "7x", "10.7 x", "3×", "2 times"; not "x86" or "0x1f"
  static const std::regex re(R"((^|[^\w.])(\d+(\.\d+)?)(\s?x|\s?×|\s+times)(?![\w]))", kIcase);
  return re;
}
const std::regex& percent_re() {  // "+13%", "-7%", "−7 %", "13% faster"
  static const std::regex re(
      R"((^|[^\w.])(\+|-|−)(\d+(\.\d+)?)\s?%|\b(\d+(\.\d+)?)\s?% (faster|slower|smaller|better|worse|less|more|lower|higher)\b)",
      kIcase);
  return re;
}
const std::regex& context_re() {  // "32K context", "context of 32768 tokens", "32k-token context"
  static const std::regex re(
      R"(\b(\d+(\.\d+)?)\s?(k)?[- ]?(tokens?[- ])?(of )?context\b|\bcontext (length |size |of )?(\d+(\.\d+)?)\s?(k)?\b)", kIcase);
  return re;
}
const std::regex& compress_re() {
  static const std::regex re(R"(\bcompress(ion|ed|es)?\b|\bsmaller\b|\bless memory\b)", kIcase);
  return re;
}
const std::regex& k_only_re() {
  static const std::regex re(R"(\bK-only\b|\bkeys[- ]only\b|\bonly (the )?keys\b|\bK only\b)", kIcase);
  return re;
}
const std::regex& k_and_v_re() {
  static const std::regex re(R"(\bK\+V\b|\bkeys and values\b|\bK and V\b|\bK ?& ?V\b)", kIcase);
  return re;
}

std::vector<std::smatch> all_matches(const std::string& s, const std::regex& re) {
  std::vector<std::smatch> out;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) out.push_back(*it);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '(' || s.front() == ',')) s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Decimal places written in a number ("10.7" -> 1).
int decimals_of(const std::string& n) {
  const size_t dot = n.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(n.size() - dot - 1);
}

bool same_at_precision(double value, double stated, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::llround(value * scale) == std::llround(stated * scale);
}

int max_tokens_in_cache(const CellResult& c) {
  int most = 0;
  for (const auto& r : c.runs)
    if (r.ok()) most = std::max(most, r.sample.value("max_tokens_in_cache", 0));
  return most;
}

}  // namespace

std::vector<std::string> claim_phrases(const std::string& s) {
  std::vector<std::string> out;
  for (const std::regex* re : {&lossless_re(), &faster_re(), &times_re(), &percent_re()})
    for (const auto& m : all_matches(s, *re)) out.push_back(trimmed(m.str()));
  return out;
}

std::vector<std::string> wording_problems(const std::string& sentence, const Claim& claim,
                                          const std::vector<CheckOutcome>& outcomes, const Results& r) {
  std::vector<std::string> problems;
  const std::string quoted = "\"" + (sentence.size() > 120 ? sentence.substr(0, 117) + "..." : sentence) + "\"";
  auto figures_of = [&](const std::string& measure) {
    std::string f;
    for (size_t i = 0; i < claim.checks.size(); ++i)
      if (claim.checks[i].measure == measure && !outcomes[i].figure.empty())
        f += (f.empty() ? "" : "; ") + outcomes[i].figure;
    return f.empty() ? std::string() : " (measured: " + f + ")";
  };
  auto passing = [&](auto pred) {
    for (size_t i = 0; i < claim.checks.size(); ++i)
      if (outcomes[i].pass && pred(claim.checks[i])) return true;
    return false;
  };

  if (std::smatch m; std::regex_search(sentence, m, lossless_re())) {
    const bool ok = passing([](const ClaimCheck& c) {
      return c.measure == "ppl_delta_pct" && c.bound == "upper" && (c.op == "<" || c.op == "<=") && c.value <= 0.1;
    });
    if (!ok)
      problems.push_back(quoted + " says '" + m.str() + "', which needs a passing ppl_delta_pct check whose upper bound is " +
                         "at most 0.1%; claim " + claim.id + " has none" + figures_of("ppl_delta_pct"));
  }
  if (std::smatch m; std::regex_search(sentence, m, faster_re())) {
    const bool ok = passing([](const ClaimCheck& c) {
      return c.measure == "speed_ratio" && c.bound == "lower" && (c.op == ">" || c.op == ">=") && c.value >= 1;
    });
    if (!ok)
      problems.push_back(quoted + " says '" + m.str() + "', which needs a passing speed_ratio check whose lower bound is " +
                         "above 1; claim " + claim.id + " has none" + figures_of("speed_ratio"));
  }
  for (const auto& m : all_matches(sentence, times_re())) {
    const std::string n = m[2].str();
    const double stated = std::stod(n);
    const bool ok = passing([&](const ClaimCheck& c) {
      return (c.measure == "compression" || c.measure == "speed_ratio") && same_at_precision(c.value, stated, decimals_of(n));
    });
    if (!ok)
      problems.push_back(quoted + " states " + trimmed(m.str()) + ", but no passing check of claim " + claim.id +
                         " has the value " + n + figures_of("compression") + figures_of("speed_ratio"));
  }
  for (const auto& m : all_matches(sentence, percent_re())) {
    const bool sign = m[3].matched;
    const std::string n = sign ? m[3].str() : m[5].str();
    const double stated = std::stod(n) * (sign && m[2].str() != "+" ? -1 : 1);
    const int d = decimals_of(n);
    const bool ok = passing([&](const ClaimCheck& c) {
      if (c.measure == "ppl_delta_pct") return same_at_precision(c.value, stated, d);
      if (c.measure == "speed_ratio")
        return same_at_precision(100 * (c.value - 1), stated, d) || same_at_precision(100 * (c.value - 1), -stated, d) ||
               same_at_precision(100 * (c.value - 1), std::fabs(stated), d);
      return false;
    });
    if (!ok)
      problems.push_back(quoted + " states " + trimmed(m.str()) + ", but no passing check of claim " + claim.id +
                         " has that value" + figures_of("ppl_delta_pct") + figures_of("speed_ratio"));
  }

  // Compression figures say what was compressed and against what.
  bool has_compression_check = false;
  for (const auto& c : claim.checks) has_compression_check |= c.measure == "compression";
  if (has_compression_check || std::regex_search(sentence, compress_re())) {
    const bool says_k = std::regex_search(sentence, k_only_re());
    const bool says_kv = std::regex_search(sentence, k_and_v_re());
    std::smatch vs_m;
    const std::regex vs_re(R"(\b(fp16|fp32|f16|f32)\b)", kIcase);
    std::set<std::string> says_vs;
    for (const auto& m : all_matches(sentence, vs_re)) {
      std::string v = m[1].str();
      std::transform(v.begin(), v.end(), v.begin(), ::tolower);
      says_vs.insert(v == "f16" ? "fp16" : v == "f32" ? "fp32" : v);
    }
    for (size_t i = 0; i < claim.checks.size(); ++i) {
      const ClaimCheck& c = claim.checks[i];
      if (c.measure != "compression") continue;
      std::string truth;
      if (!outcomes[i].cells.empty()) {
        const json& comp = outcomes[i].cells[0]->engine.at("kv").at("compression");
        truth = " (" + kv_text(outcomes[i].cells[0]->cell.kv) + ": K-only " + fmt("%.2f", comp.value("k_" + std::string("vs_") + c.vs, 0.0)) +
                "x, K+V " + fmt("%.2f", comp.value("kv_vs_" + c.vs, 0.0)) + "x vs " + c.vs + ")";
      }
      if (!says_k && !says_kv)
        problems.push_back(quoted + ": a compression figure must say K-only or K+V; the checked figure is " +
                           (c.part == "k" ? "K-only" : "K+V") + truth);
      else if ((c.part == "k" && !says_k) || (c.part == "kv" && !says_kv))
        problems.push_back(quoted + " says " + (says_kv ? "K+V" : "K-only") + " but claim " + claim.id +
                           " checks a " + (c.part == "k" ? "K-only" : "K+V") + " figure" + truth);
      if (!says_vs.count(c.vs))
        problems.push_back(quoted + ": a compression figure must say what it is relative to (vs fp16 or vs fp32); the " +
                           "checked figure is vs " + c.vs + truth);
    }
    if (!has_compression_check && !all_matches(sentence, times_re()).empty() && std::regex_search(sentence, compress_re()))
      problems.push_back(quoted + " states a compression figure but claim " + claim.id + " has no compression check");
  }

  // "context N" needs N tokens actually in the cache of every cell behind the claim.
  for (const auto& m : all_matches(sentence, context_re())) {
    const bool first = m[1].matched;
    const double n = std::stod(first ? m[1].str() : m[7].str());
    const bool kilo = first ? m[3].matched : m[9].matched;
    const long tokens = std::lround(n * (kilo ? 1024 : 1));
    for (const auto& o : outcomes)
      for (const CellResult* c : o.cells) {
        const int held = max_tokens_in_cache(*c);
        if (held < tokens)
          problems.push_back(quoted + " says " + trimmed(m.str()) + " (" + std::to_string(tokens) + " tokens) but the cache of " +
                             c->cell.id + " held at most " + std::to_string(held) + " tokens");
      }
  }

  // Figures users get come from the default variant; any other build must be named.
  const std::string def = r.default_variant().variant.name;
  std::string lower = sentence;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  std::set<std::string> named;
  for (const auto& o : outcomes)
    for (const CellResult* c : o.cells) {
      const std::string& v = c->cell.variant;
      if (v == def || named.count(v)) continue;
      named.insert(v);
      std::string lv = v;
      std::transform(lv.begin(), lv.end(), lv.begin(), ::tolower);
      if (lower.find(lv) == std::string::npos) {
        const VariantResult* vr = r.variant(v);
        std::string opts;
        if (vr)
          for (const auto& [k, val] : vr->variant.cmake_options) opts += (opts.empty() ? "" : ", ") + k + "=" + val;
        problems.push_back(quoted + " uses figures from build variant `" + v + "`" + (opts.empty() ? "" : " (" + opts + ")") +
                           " without naming it; figures presented as what users get must come from the default variant `" +
                           def + "`");
      }
    }
  return problems;
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
