#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "harness/claims/claim_wording.h"
#include "harness/claims/claims.h"
#include "claim_rules_internal.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

// ---- wording rules ---------------------------------------------------------------------------------

namespace {

std::string kv_text(const KvPair& kv) { return kv.k == kv.v ? kv.k : kv.k + "/" + kv.v; }

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
    if (r.ok()) most = std::max(most, r.sample.value("max_tokens_in_cache", 0));
  return most;
}

}  // namespace

std::vector<std::string> claim_phrases(const std::string& s) {
  std::vector<std::string> out;
  for (const auto& f : claim_findings(s)) out.push_back(f.phrase);
  return out;
}

std::vector<std::string> wording_problems(const std::string& written, const Claim& claim,
                                          const std::vector<CheckOutcome>& outcomes, const Results& r) {
  const std::string sentence = normalise_percent_words(written);
  std::vector<std::string> problems = ranking_wording_problems(sentence, claim, outcomes, r);
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

  // "near-lossless" and the like are hedged wording, with their own rule (claim_rank_rules.cpp).
  static const std::regex hedge_before(R"((near|nearly|virtually|almost|practically|essentially|quasi)[- ]$)", kIcase);
  for (const auto& m : all_matches(sentence, lossless_re())) {
    if (std::regex_search(sentence.substr(0, static_cast<size_t>(m.position(0))), hedge_before)) continue;
    const bool ok = passing([](const ClaimCheck& c) {
      return c.measure == "ppl_delta_pct" && c.bound == "upper" && (c.op == "<" || c.op == "<=") && c.value <= 0.1;
    });
    if (!ok)
      problems.push_back(quoted + " says '" + m.str() + "', which needs a passing ppl_delta_pct check whose upper bound is " +
                         "at most 0.1%; claim " + claim.id + " has none" + figures_of("ppl_delta_pct"));
    break;
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

}  // namespace quant::harness
