// Wording rules for sentences that compare or rank: a comparative or winning verb needs a one-sided
// bound on the right side of the reference, parity wording a two-sided interval inside a stated margin,
// hedged wording ("near-lossless", "negligible") a bound that the claim states, a superlative a win
// against every alternative measured in the same run, a factor in words a checked value.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "claim_cells.h"
#include "claim_rules_internal.h"
#include "harness/claims/claim_wording.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

namespace {

const auto kIcase = std::regex::ECMAScript | std::regex::icase;

enum class Family { speed, size, quality, unknown };

bool has(const std::string& s, const char* re) { return std::regex_search(s, std::regex(re, kIcase)); }

Family family_in(const std::string& s) {
  if (has(s, R"(fast|quick|speed|slow|tok/s|throughput|latency|decod|generat|prefill|outpac|outrun|pace|overhead|penalty)"))
    return Family::speed;
  if (has(s, R"(small|memory|compress|footprint|lean|bytes|compact|light|\bram\b|\bsize)")) return Family::size;
  if (has(s, R"(better|worse|best|accura|quality|perplexity|ppl|kld|loss|error|faithful|precis|degrad|identical|indistinguish|differ)"))
    return Family::quality;
  return Family::unknown;
}

// The phrase decides first ("smaller" is about size even in a sentence about speed); the sentence next.
Family family_of(const std::string& phrase, const std::string& sentence) {
  const Family f = family_in(phrase);
  return f != Family::unknown ? f : family_in(sentence);
}

bool same_target(const ClaimCheck& a, const ClaimCheck& b) {
  auto kv = [](const std::optional<KvPair>& k) { return k ? k->k + "/" + k->v : std::string(); };
  return a.measure == b.measure && a.select.model == b.select.model && a.select.variant == b.select.variant &&
         a.select.text == b.select.text && kv(a.select.kv) == kv(b.select.kv) && a.select.ctx == b.select.ctx &&
         a.select.depth == b.select.depth && a.timing == b.timing && kv(a.against_kv) == kv(b.against_kv) &&
         a.against_variant == b.against_variant;
}

// Numbers stated as percentages in a text ("within 2%", "under 0.5% perplexity").
std::vector<std::string> stated_percentages(const std::string& s) {
  std::vector<std::string> out;
  static const std::regex re(R"((\d+(?:\.\d+)?)\s?%)");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) out.push_back((*it)[1].str());
  return out;
}

bool states_value(const std::vector<std::string>& stated, double value) {
  for (const auto& n : stated) {
    const size_t dot = n.find('.');
    const int d = dot == std::string::npos ? 0 : static_cast<int>(n.size() - dot - 1);
    const double scale = std::pow(10.0, d);
    if (std::llround(value * scale) == std::llround(std::stod(n) * scale)) return true;
  }
  return false;
}

using Ctx = WordingCtx;

void comparative_rule(const Ctx& c, const ClaimFinding& f) {
  // "faster than", "beats" and "outperforms" have their own rule (claim_rules.cpp).
  if (has(f.phrase, R"(^(faster than|quicker than|beats?|beating|outperform\w*)$)")) return;
  const bool slower = has(f.phrase, R"(slow|worse|lower (throughput|speed))");
  const auto speed = [&](const ClaimCheck& k) {
    if (k.measure != Measure::speed_ratio) return false;
    return slower ? k.bound == Bound::upper && is_upper_op(k.op) && k.value <= 1 : k.bound == Bound::lower && is_lower_op(k.op) && k.value >= 1;
  };
  const auto size = [](const ClaimCheck& k) { return k.measure == Measure::compression && is_lower_op(k.op) && k.value > 1; };
  const auto quality = [](const ClaimCheck& k) {
    return (k.measure == Measure::ppl_delta || k.measure == Measure::kld || k.measure == Measure::top1 || k.measure == Measure::ppl) && k.bound != Bound::point;
  };
  switch (family_of(f.phrase, c.sentence)) {
    case Family::speed:
      if (!c.passing(speed))
        c.fail(f, std::string("a passing speed_ratio check whose ") + (slower ? "upper bound is below 1" : "lower bound is above 1"));
      break;
    case Family::size:
      if (!c.passing(size)) c.fail(f, "a passing compression check above 1");
      break;
    case Family::quality:
      if (!c.passing(quality)) c.fail(f, "a passing quality check (ppl_delta_pct, kld, top1, ppl) on an interval bound");
      break;
    case Family::unknown:
      if (!c.passing(speed) && !c.passing(size) && !c.passing(quality))
        c.fail(f, "a passing speed_ratio, compression or interval-bound quality check");
  }
}

void parity_rule(const Ctx& c, const ClaimFinding& f) {
  static const std::regex margin_re(R"((?:within|±|\+/-|\+-)\s*(?:±|\+/-)?\s*(\d+(?:\.\d+)?)\s*%)", kIcase);
  std::smatch m;
  double stated = -1;
  if (std::regex_search(c.sentence, m, margin_re) || std::regex_search(c.claim.text, m, margin_re)) stated = std::stod(m[1].str());
  if (stated < 0) {
    c.problems.push_back(c.quoted + " says '" + f.phrase + "' (parity), which needs a stated margin ('within N%' or " +
                         "'±N%') and a two-sided check inside it");
    return;
  }
  for (size_t i = 0; i < c.claim.checks.size(); ++i)
    for (size_t j = 0; j < c.claim.checks.size(); ++j) {
      const ClaimCheck &lo = c.claim.checks[i], &hi = c.claim.checks[j];
      if (!c.outcomes[i].pass || !c.outcomes[j].pass || !same_target(lo, hi)) continue;
      if (lo.bound != Bound::lower || !is_lower_op(lo.op) || hi.bound != Bound::upper || !is_upper_op(hi.op)) continue;
      double margin = -1;
      if (lo.measure == Measure::speed_ratio && lo.value <= 1 && hi.value >= 1) margin = 100 * std::max(1 - lo.value, hi.value - 1);
      if (lo.measure == Measure::ppl_delta && lo.value <= 0 && hi.value >= 0) margin = std::max(-lo.value, hi.value);
      if (margin >= 0 && margin <= stated + 1e-9) return;
    }
  c.fail(f, "passing lower- and upper-bound checks of one speed_ratio or ppl_delta_pct whose interval lies within the stated " +
                fmt("%g", stated) + "% of parity");
}

void hedged_rule(const Ctx& c, const ClaimFinding& f) {
  std::vector<std::string> stated = stated_percentages(c.sentence);
  for (const auto& s : stated_percentages(c.claim.text)) stated.push_back(s);
  const bool speed = has(f.phrase + " " + c.sentence, R"(slowdown|overhead|penalty|slower|speed|tok/s|throughput)") &&
                     !has(f.phrase, R"(loss|lossless|quality|perplexity|accura)");
  const bool ok = c.passing([&](const ClaimCheck& k) {
    if (speed)
      return k.measure == Measure::speed_ratio && k.bound == Bound::lower && is_lower_op(k.op) && states_value(stated, 100 * (1 - k.value));
    if (k.measure == Measure::ppl_delta) return k.bound == Bound::upper && is_upper_op(k.op) && states_value(stated, k.value);
    if (k.measure == Measure::kld)
      return k.bound == Bound::upper && is_upper_op(k.op) && c.sentence.find(fmt("%g", k.value)) != std::string::npos;
    return false;
  });
  if (!ok)
    c.fail(f, speed ? "a stated bound: a passing lower-bound speed_ratio check whose slowdown (1 - value, in %) the sentence "
                      "or claim states"
                    : "a stated bound: a passing upper-bound ppl_delta_pct (or kld) check whose value the sentence or claim "
                      "states, e.g. 'under 0.5% perplexity'");
}

void factor_rule(const Ctx& c, const ClaimFinding& f) {
  if (has(f.phrase, R"(^\d+(\.\d+)?\s?(x|×|times)$)")) return;  // digits: the figure rule (claim_rules.cpp)
  const bool magnitude = has(f.phrase, "magnitude");
  const double want = magnitude ? 10 : spelled_factor(f.phrase);
  if (want <= 0) return;
  const bool ok = c.passing([&](const ClaimCheck& k) {
    if (k.measure != Measure::compression && k.measure != Measure::speed_ratio) return false;
    if (magnitude) return k.value >= 10 || (k.value > 0 && k.value <= 0.1);
    return std::fabs(k.value - want) < 0.5 || std::fabs(k.value - 1 / want) < 0.005;
  });
  if (!ok)
    c.problems.push_back(c.quoted + " states '" + f.phrase + "' (a factor of " + fmt("%g", want) + (magnitude ? " or more" : "") +
                         "), but no passing compression or speed_ratio check of claim " + c.claim.id + " has that value" +
                         c.figures());
}

// An absolute figure must be what a check measured: quality figures the value of a passing ppl, kld or
// top1 check at the stated precision; speeds and sizes in units no measure checks (they depend on the
// machine and model) cannot be backed by a claim, so a ratio or compression is what to state.
void figure_rule(const Ctx& c, const ClaimFinding& f) {
  static const std::regex number(R"((\d+\.\d+))");
  std::smatch m;
  const bool quality = has(f.phrase, R"(ppl|perplexity|kld|kl[- ]divergence|top-1|accuracy)");
  if (!quality) {
    c.problems.push_back(c.quoted + " states '" + f.phrase + "' (figure with a unit), an absolute speed or size that no " +
                         "check of claim " + c.claim.id + " can measure; state a speed_ratio or compression figure instead");
    return;
  }
  if (!std::regex_search(f.phrase, m, number)) return;
  const std::string n = m[1].str();
  const int d = static_cast<int>(n.size() - n.find('.') - 1);
  const double stated = std::stod(n), scale = std::pow(10.0, d);
  for (size_t i = 0; i < c.claim.checks.size(); ++i) {
    const Measure ms = c.claim.checks[i].measure;
    if (!c.outcomes[i].pass || (ms != Measure::ppl && ms != Measure::kld && ms != Measure::top1)) continue;
    if (std::llround(c.outcomes[i].measured * scale) == std::llround(stated * scale)) return;
  }
  c.problems.push_back(c.quoted + " states '" + f.phrase + "', but no passing ppl, kld or top1 check of claim " +
                       c.claim.id + " measured " + n + c.figures());
}

const CheckOutcome* first_passing(const Ctx& c, Measure measure, const ClaimCheck** check) {
  for (size_t i = 0; i < c.claim.checks.size(); ++i)
    if (c.claim.checks[i].measure == measure && c.outcomes[i].pass && !c.outcomes[i].cells.empty()) {
      *check = &c.claim.checks[i];
      return &c.outcomes[i];
    }
  return nullptr;
}

// KV pairs measured in the run with the same metric, variant and model (and depth/text/ctx) as `subject`.
std::vector<const CellResult*> alternatives(const Results& r, const Cell& subject) {
  std::vector<const CellResult*> out;
  for (const auto& c : r.cells) {
    const Cell& x = c.cell;
    if (!c.ok() || x.metric != subject.metric || x.variant != subject.variant || x.model != subject.model) continue;
    if (x.kv == subject.kv || x.depth != subject.depth || x.text != subject.text || x.ctx != subject.ctx) continue;
    out.push_back(&c);
  }
  return out;
}

void superlative_rule(const Ctx& c, const ClaimFinding& f) {
  const Family fam = family_of(f.phrase, c.sentence);
  const ClaimCheck* check = nullptr;
  const Measure measure = fam == Family::speed ? Measure::speed_ratio : fam == Family::size ? Measure::compression : Measure::ppl_delta;
  const CheckOutcome* subject = fam == Family::unknown ? nullptr : first_passing(c, measure, &check);
  if (!subject) {
    c.fail(f, fam == Family::unknown ? "a measurable ranking (fastest, smallest, best quality) checked against every "
                                       "alternative of the run"
                                     : std::string("a passing ") + claim_measure_name(measure) + " check naming the subject, and a win over " +
                                           "every alternative measured in the same run");
    return;
  }
  const Cell& cell = subject->cells[0]->cell;
  std::vector<std::string> missing;
  for (const CellResult* alt : alternatives(c.r, cell)) {
    const KvPair& kv = alt->cell.kv;
    if (fam == Family::speed) {
      const bool won = c.passing([&](const ClaimCheck& k) {
        return k.measure == Measure::speed_ratio && k.against_kv && *k.against_kv == kv && k.bound == Bound::lower && is_lower_op(k.op) &&
               k.value >= 1 && k.timing == check->timing;
      });
      if (!won) missing.push_back(kv_text(kv));
    } else if (fam == Family::size) {
      ClaimCheck other = *check;
      other.select.kv = kv;
      const CheckOutcome o = evaluate_check(other, c.r);
      if (o.cells.empty() || o.measured >= subject->measured) missing.push_back(kv_text(kv) + " (" + o.figure + ")");
    } else {
      if (kv.k == "fp32" && kv.v == "fp32") continue;  // the reference of every ppl_delta_pct
      ClaimCheck other = *check;
      other.select.kv = kv;
      const CheckOutcome o = evaluate_check(other, c.r);
      if (o.cells.empty() || !(subject->hi < o.lo)) missing.push_back(kv_text(kv) + (o.figure.empty() ? "" : " (" + o.figure + ")"));
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    c.problems.push_back(c.quoted + " says '" + f.phrase + "' (superlative) of " + kv_text(cell.kv) + ", which needs a " +
                         (fam == Family::speed ? "passing lower-bound speed_ratio check above 1 against"
                                               : "clear win (intervals apart) over") +
                         " every alternative measured in run " + c.r.run_id + "; not shown against: " + list);
  }
}

}  // namespace

std::vector<std::string> ranking_wording_problems(const std::string& sentence, const Claim& claim,
                                                  const std::vector<CheckOutcome>& outcomes, const Results& r) {
  std::vector<std::string> problems;
  const Ctx c{sentence, claim, outcomes, r, quoted_sentence(sentence), problems};
  std::set<std::string> seen;
  for (const auto& f : claim_findings(sentence)) {
    if (!seen.insert(std::to_string(static_cast<int>(f.kind)) + f.phrase).second) continue;
    switch (f.kind) {
      case ClaimKind::comparative:
      case ClaimKind::winning: comparative_rule(c, f); break;
      case ClaimKind::parity: parity_rule(c, f); break;
      case ClaimKind::hedged: hedged_rule(c, f); break;
      case ClaimKind::superlative: superlative_rule(c, f); break;
      case ClaimKind::factor: factor_rule(c, f); break;
      case ClaimKind::figure: figure_rule(c, f); break;
      default: break;  // lossless, percentages and context: claim_rules.cpp
    }
  }
  return problems;
}

}  // namespace quant::harness
