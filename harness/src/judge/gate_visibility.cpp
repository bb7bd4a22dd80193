#include "harness/judge/gate_visibility.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

namespace {

// The calibration's name for the method behind a check kind.
std::string method_of(const std::string& kind) {
  if (kind == "absolute") return "compare";
  if (kind == "kv_vs_fp32" || kind == "variant_vs_default") return "ratio";
  if (kind == "paired") return "ab";
  if (kind == "counts") return "counts";
  return "";
}

std::string label(const std::string& method) {
  if (method == "compare") return "absolute tok/s vs the baseline";
  if (method == "ratio") return "within-run ratios vs the baseline";
  if (method == "ab") return "interleaved A/B";
  if (method == "counts") return "instructions per token under Valgrind";
  return method;
}

struct Seen {
  double median = -1, worst = -1;  // fractions of throughput; -1: not calibrated
  std::string note;
};

// Timing methods: the stored MDE (median and worst cell, over pp and tg) at the calibrated thresholds;
// a threshold in use that is higher (e.g. --ratios-only adds the cross-machine allowance) bounds it below.
Seen timing_seen(const Thresholds& t, const std::string& method, bool cross) {
  Seen s;
  const json& cal = t.calibration;
  if (!cal.is_object() || !cal.contains("kinds")) return s;
  for (const auto& k : cal.at("kinds")) {
    if (k.value("kind", "") != method) continue;
    const std::string measure = k.value("measure", "");
    double threshold = 0;
    if (auto it = t.timing.find(measure); it != t.timing.end())
      threshold = method == "compare" ? it->second.compare : method == "ratio" ? it->second.ratio : it->second.ab;
    if (cross && method == "ratio") threshold += t.cross_machine_allowance;
    s.median = std::max(s.median, std::max(k.value("mde_median", 0.0), threshold));
    s.worst = std::max(s.worst, std::max(k.value("mde_max", 0.0), threshold));
  }
  return s;
}

Seen counts_seen(const Thresholds& t) {
  Seen s;
  const json& cal = t.calibration;
  if (cal.is_object() && cal.contains("counts") && cal.at("counts").contains("mde")) {
    s.median = s.worst = cal.at("counts").at("mde").get<double>();
    s.note = "A/A false alarms " + std::to_string(cal.at("counts").value("false_alarms", 0)) + " of " +
             std::to_string(cal.at("counts").value("comparisons", 0));
  } else {
    // Counts repeat exactly, so the tolerance is what they can see (not yet confirmed by calibrate).
    s.median = s.worst = t.counts.instr;
    s.note = "the tolerance; counts repeat exactly";
  }
  return s;
}

}  // namespace

std::string visibility_footer(const GateReport& g) {
  const Thresholds& t = g.thresholds;
  std::set<std::string> methods;
  bool cross = false;
  for (const auto& c : g.checks) {
    if (c.decision.verdict == Verdict::cannot_decide) continue;
    const std::string m = method_of(c.kind);
    if (!m.empty()) methods.insert(m);
  }
  for (const auto& b : g.baselines) cross |= !b.same_machine;
  std::ostringstream o;
  o << "**What this gate can see.** ";
  if (methods.empty()) {
    o << "No timing or count check was decided here, so this gate could see no slowdown at all.\n";
    return o.str();
  }
  std::map<std::string, Seen> seen;
  for (const auto& m : methods) seen[m] = m == "counts" ? counts_seen(t) : timing_seen(t, m, cross);
  double best = -1;
  for (const auto& [m, s] : seen)
    if (s.median >= 0 && (best < 0 || s.median < best)) best = s.median;
  if (best >= 0)
    o << "This gate can see slowdowns of " << fmt_percent(best, 1) << " or more (the most sensitive method below; "
      << "a slowdown is seen when it is flagged in 95% of trials, median cell):\n\n";
  else
    o << "This gate's timing checks are not calibrated, so the smallest slowdown they can see is unknown "
         "(run `bench-all calibrate --write`):\n\n";
  for (const auto& [m, s] : seen) {
    o << "- " << label(m) << ": ";
    if (s.median < 0) {
      o << "not calibrated (`baselines/thresholds.json` has no calibration for it)\n";
      continue;
    }
    o << fmt_percent(s.median, 1) << " or more";
    if (s.worst > s.median) o << " (worst cell " << fmt_percent(s.worst, 1) << ")";
    if (!s.note.empty()) o << "; " << s.note;
    o << "\n";
  }
  if (t.calibration.is_object() && t.calibration.contains("date"))
    o << "\nTiming figures from `bench-all calibrate` of " << t.calibration.value("date", "?") << " on "
      << t.calibration.value("machine", "?") << " (`" << t.file << "`).\n";
  return o.str();
}

}  // namespace quant::harness
