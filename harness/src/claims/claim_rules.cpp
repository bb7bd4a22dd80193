#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "harness/claims/claim_wording.h"
#include "harness/claims/claims.h"
#include "claim_cells.h"
#include "claim_rules_internal.h"
#include "harness/measure/sample.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

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
  static const std::regex re(R"((^|[^\w.])(\d+(\.\d+)?)(\s?x|\s?×|\s+times)(?![\w])(?!\s*\d))", kIcase);
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
    if (r.ok()) most = std::max(most, static_cast<int>(sample_of(r).max_tokens_in_cache.value_or(0)));
  return most;
}

using Ctx = WordingCtx;

// "lossless" and the like need a tight PPL bound ("near-lossless" is hedged: claim_rank_rules.cpp).
void lossless_rule(const Ctx& c) {
  static const std::regex hedge_before(R"((near|nearly|virtually|almost|practically|essentially|quasi)[- ]$)", kIcase);
  for (const auto& m : all_matches(c.sentence, lossless_re())) {
    if (std::regex_search(c.sentence.substr(0, static_cast<size_t>(m.position(0))), hedge_before)) continue;
    const bool ok = c.passing([](const ClaimCheck& k) {
      return k.measure == Measure::ppl_delta && k.bound == Bound::upper && is_upper_op(k.op) && k.value <= 0.1;
    });
    if (!ok)
      c.problems.push_back(c.quoted + " says '" + m.str() + "', which needs a passing ppl_delta_pct check whose upper " +
                           "bound is at most 0.1%; claim " + c.claim.id + " has none" + c.figures_of(Measure::ppl_delta));
    break;
  }
}

// "faster than", "beats": a lower bound above 1.
void faster_rule(const Ctx& c) {
  std::smatch m;
  if (!std::regex_search(c.sentence, m, faster_re())) return;
  const bool ok = c.passing([](const ClaimCheck& k) {
    return k.measure == Measure::speed_ratio && k.bound == Bound::lower && is_lower_op(k.op) && k.value >= 1;
  });
  if (!ok)
    c.problems.push_back(c.quoted + " says '" + m.str() + "', which needs a passing speed_ratio check whose lower bound is " +
                         "above 1; claim " + c.claim.id + " has none" + c.figures_of(Measure::speed_ratio));
}

// "7x": a checked value, at the precision written.
void times_rule(const Ctx& c) {
  for (const auto& m : all_matches(c.sentence, times_re())) {
    const std::string n = m[2].str();
    const double stated = std::stod(n);
    const bool ok = c.passing([&](const ClaimCheck& k) {
      return (k.measure == Measure::compression || k.measure == Measure::speed_ratio) &&
             same_at_precision(k.value, stated, decimals_of(n));
    });
    if (!ok)
      c.problems.push_back(c.quoted + " states " + trimmed(m.str()) + ", but no passing check of claim " + c.claim.id +
                           " has the value " + n + c.figures_of(Measure::compression) + c.figures_of(Measure::speed_ratio));
  }
}

// "+13%", "7% slower": a checked PPL delta or speed ratio with that value.
void percent_rule(const Ctx& c) {
  for (const auto& m : all_matches(c.sentence, percent_re())) {
    const bool sign = m[3].matched;
    const std::string n = sign ? m[3].str() : m[5].str();
    const double stated = std::stod(n) * (sign && m[2].str() != "+" ? -1 : 1);
    const int d = decimals_of(n);
    const bool ok = c.passing([&](const ClaimCheck& k) {
      if (k.measure == Measure::ppl_delta) return same_at_precision(k.value, stated, d);
      if (k.measure == Measure::speed_ratio)
        return same_at_precision(100 * (k.value - 1), stated, d) || same_at_precision(100 * (k.value - 1), -stated, d) ||
               same_at_precision(100 * (k.value - 1), std::fabs(stated), d);
      return false;
    });
    if (!ok)
      c.problems.push_back(c.quoted + " states " + trimmed(m.str()) + ", but no passing check of claim " + c.claim.id +
                           " has that value" + c.figures_of(Measure::ppl_delta) + c.figures_of(Measure::speed_ratio));
  }
}

// The baselines a sentence names ("fp16", "f32", ...), spelled as the checks spell them.
std::set<std::string> stated_baselines(const std::string& sentence) {
  static const std::regex vs_re(R"(\b(fp16|fp32|f16|f32)\b)", kIcase);
  std::set<std::string> says_vs;
  for (const auto& m : all_matches(sentence, vs_re)) {
    std::string v = m[1].str();
    std::transform(v.begin(), v.end(), v.begin(), ::tolower);
    says_vs.insert(v == "f16" ? "fp16" : v == "f32" ? "fp32" : v);
  }
  return says_vs;
}

// One compression check against the sentence: K-only or K+V and the baseline, as the check says.
void compression_check_wording(const Ctx& c, const ClaimCheck& k, const CheckOutcome& o, bool says_k, bool says_kv,
                               const std::set<std::string>& says_vs) {
  const std::string vs = vs_name(k.vs);
  const char* part = k.part == CompressedPart::k ? "K-only" : "K+V";
  std::string truth;
  if (!o.cells.empty()) {
    const json& comp = o.cells[0]->engine.at("kv").at("compression");
    truth = " (" + kv_text(o.cells[0]->cell.kv) + ": K-only " + fmt("%.2f", comp.value("k_vs_" + vs, 0.0)) + "x, K+V " +
            fmt("%.2f", comp.value("kv_vs_" + vs, 0.0)) + "x vs " + vs + ")";
  }
  if (!says_k && !says_kv)
    c.problems.push_back(c.quoted + ": a compression figure must say K-only or K+V; the checked figure is " + part + truth);
  else if ((k.part == CompressedPart::k && !says_k) || (k.part == CompressedPart::kv && !says_kv))
    c.problems.push_back(c.quoted + " says " + (says_kv ? "K+V" : "K-only") + " but claim " + c.claim.id + " checks a " +
                         part + " figure" + truth);
  if (!says_vs.count(vs))
    c.problems.push_back(c.quoted + ": a compression figure must say what it is relative to (vs fp16 or vs fp32); the " +
                         "checked figure is vs " + vs + truth);
}

// Compression figures say what was compressed and against what.
void compression_rule(const Ctx& c) {
  bool has_compression_check = false;
  for (const auto& k : c.claim.checks) has_compression_check |= k.measure == Measure::compression;
  if (!has_compression_check && !std::regex_search(c.sentence, compress_re())) return;
  const bool says_k = std::regex_search(c.sentence, k_only_re());
  const bool says_kv = std::regex_search(c.sentence, k_and_v_re());
  const std::set<std::string> says_vs = stated_baselines(c.sentence);
  for (size_t i = 0; i < c.claim.checks.size(); ++i)
    if (c.claim.checks[i].measure == Measure::compression)
      compression_check_wording(c, c.claim.checks[i], c.outcomes[i], says_k, says_kv, says_vs);
  if (!has_compression_check && !all_matches(c.sentence, times_re()).empty() && std::regex_search(c.sentence, compress_re()))
    c.problems.push_back(c.quoted + " states a compression figure but claim " + c.claim.id + " has no compression check");
}

// "context N" needs N tokens actually in the cache of every cell behind the claim.
void context_rule(const Ctx& c) {
  for (const auto& m : all_matches(c.sentence, context_re())) {
    const bool first = m[1].matched;
    const double n = std::stod(first ? m[1].str() : m[7].str());
    const bool kilo = first ? m[3].matched : m[9].matched;
    const long tokens = std::lround(n * (kilo ? 1024 : 1));
    for (const auto& o : c.outcomes)
      for (const CellResult* cell : o.cells) {
        const int held = max_tokens_in_cache(*cell);
        if (held < tokens)
          c.problems.push_back(c.quoted + " says " + trimmed(m.str()) + " (" + std::to_string(tokens) +
                               " tokens) but the cache of " + cell->cell.id + " held at most " + std::to_string(held) +
                               " tokens");
      }
  }
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

// Figures users get come from the default variant; any other build must be named.
void variant_rule(const Ctx& c) {
  const std::string def = c.r.default_variant().variant.name;
  const std::string lower = lowercase(c.sentence);
  std::set<std::string> named;
  for (const auto& o : c.outcomes)
    for (const CellResult* cell : o.cells) {
      const std::string& v = cell->cell.variant;
      if (v == def || named.count(v)) continue;
      named.insert(v);
      if (lower.find(lowercase(v)) != std::string::npos) continue;
      const VariantResult* vr = c.r.variant(v);
      std::string opts;
      if (vr)
        for (const auto& [k, val] : vr->variant.cmake_options) opts += (opts.empty() ? "" : ", ") + k + "=" + val;
      c.problems.push_back(c.quoted + " uses figures from build variant `" + v + "`" +
                           (opts.empty() ? "" : " (" + opts + ")") +
                           " without naming it; figures presented as what users get must come from the default variant `" +
                           def + "`");
    }
}

// The figure rules, in the order their problems are reported (after the ranking rules).
constexpr void (*kFigureRules[])(const Ctx&) = {lossless_rule, faster_rule,  times_rule,  percent_rule,
                                                compression_rule, context_rule, variant_rule};

}  // namespace

std::string quoted_sentence(const std::string& sentence) {
  return "\"" + (sentence.size() > 120 ? sentence.substr(0, 117) + "..." : sentence) + "\"";
}

std::string WordingCtx::figures() const {
  std::string f;
  for (const auto& o : outcomes)
    if (!o.figure.empty()) f += (f.empty() ? "" : "; ") + o.figure;
  return f.empty() ? std::string() : " (measured: " + f + ")";
}

std::string WordingCtx::figures_of(Measure m) const {
  std::string f;
  for (size_t i = 0; i < claim.checks.size(); ++i)
    if (claim.checks[i].measure == m && !outcomes[i].figure.empty()) f += (f.empty() ? "" : "; ") + outcomes[i].figure;
  return f.empty() ? std::string() : " (measured: " + f + ")";
}

void WordingCtx::fail(const ClaimFinding& f, const std::string& need) const {
  problems.push_back(quoted + " says '" + f.phrase + "' (" + claim_kind_name(f.kind) + "), which needs " + need +
                     "; claim " + claim.id + " has none" + figures());
}

std::vector<std::string> claim_phrases(const std::string& s) {
  std::vector<std::string> out;
  for (const auto& f : claim_findings(s)) out.push_back(f.phrase);
  return out;
}

std::vector<std::string> wording_problems(const std::string& written, const Claim& claim,
                                          const std::vector<CheckOutcome>& outcomes, const Results& r) {
  const std::string sentence = normalise_percent_words(written);
  std::vector<std::string> problems = ranking_wording_problems(sentence, claim, outcomes, r);
  const Ctx c{sentence, claim, outcomes, r, quoted_sentence(sentence), problems};
  for (auto rule : kFigureRules) rule(c);
  return problems;
}

}  // namespace quant::harness
