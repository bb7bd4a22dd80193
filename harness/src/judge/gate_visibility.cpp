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
  if (kind == "duet") return "duet";
  if (kind == "counts") return "counts";
  return "";
}

std::string label(const std::string& method) {
  if (method == "compare") return "absolute tok/s vs the baseline (separate processes)";
  if (method == "ratio") return "within-run ratios vs the baseline (separate processes)";
  if (method == "ab") return "interleaved A/B (separate processes)";
  if (method == "duet") return "duet timing (`bench-all ab --method duet`)";
  if (method == "counts") return "instructions per token under Valgrind";
  return method;
}

double threshold_of(const TimingThresholds& t, const std::string& method) {
  return method == "compare" ? t.compare : method == "ratio" ? t.ratio : method == "duet" ? t.duet : t.ab;
}

struct Seen {
  double median = -1, worst = -1;  // fractions of throughput; -1: not calibrated
  int false_alarms = -1, comparisons = 0;
  std::string note;
};

// The stored run of a method's calibration (command, load), for the evidence line.
std::string run_note(const json& cal, const std::string& method) {
  if (!cal.contains("runs") || !cal.at("runs").is_array()) return "";
  const bool duet = method == "duet";
  for (const auto& r : cal.at("runs")) {
    if (!r.is_object()) continue;
    const std::string m = r.value("method", "");
    if (duet != (m == "duet" || m == "duet-parallel")) continue;
    std::string s = "calibrated " + r.value("date", std::string("?")) + ", " + std::to_string(r.value("sweeps", 0)) +
                    " x " + std::to_string(r.value("pairs", 0)) + " " + (duet ? "rounds" : "pairs") + " of " +
                    std::to_string(r.value("cells", 0)) + " cells";
    const json& load = r.contains("load_average_start") ? r.at("load_average_start") : json();
    if (load.is_array() && !load.empty() && load[0].is_number()) s += ", load average " + fmt("%.1f", load[0].get<double>());
    return s;
  }
  return "";
}

// Timing methods: the stored MDE (median and worst cell, over pp and tg) and A/A false alarms at the
// threshold kept by `calibrate --write`; a threshold in use that is higher (e.g. --ratios-only adds the
// cross-machine allowance) bounds the MDE below and can only lower the false alarms.
Seen timing_seen(const Thresholds& t, const std::string& method, bool cross) {
  Seen s;
  const json& cal = t.calibration;
  if (!cal.is_object() || !cal.contains("kinds") || !cal.at("kinds").is_array()) return s;
  bool higher = false;
  for (const auto& k : cal.at("kinds")) {
    if (!k.is_object() || k.value("kind", "") != method) continue;
    const std::string measure = k.value("measure", "");
    double threshold = 0;
    if (auto it = t.timing.find(measure); it != t.timing.end()) threshold = threshold_of(it->second, method);
    if (cross && method == "ratio") threshold += t.cross_machine_allowance;
    higher |= threshold > k.value("threshold", threshold) + 1e-12;
    s.median = std::max(s.median, std::max(k.value("mde_median", 0.0), threshold));
    s.worst = std::max(s.worst, std::max(k.value("mde_max", 0.0), threshold));
    const int fa = k.value("false_alarms", k.value("false_alarms_at_recommended", -1));
    if (fa >= 0) s.false_alarms = std::max(s.false_alarms, 0) + fa;
    s.comparisons += k.value("comparisons", 0);
  }
  if (s.false_alarms >= 0 && s.comparisons > 0)
    s.note = std::string("A/A false alarms ") + (higher ? "at most " : "") + std::to_string(s.false_alarms) + " of " +
             std::to_string(s.comparisons) + " (" + fmt_percent(static_cast<double>(s.false_alarms) / s.comparisons, 1) + ")";
  const std::string run = run_note(cal, method);
  if (!run.empty()) s.note += (s.note.empty() ? "" : "; ") + run;
  return s;
}

Seen counts_seen(const Thresholds& t) {
  Seen s;
  const json& cal = t.calibration;
  if (cal.is_object() && cal.contains("counts") && cal.at("counts").is_object() && cal.at("counts").contains("mde")) {
    const json& c = cal.at("counts");
    s.median = s.worst = std::max(c.value("mde", 0.0), t.counts.instr);
    s.false_alarms = c.value("false_alarms", 0);
    s.comparisons = c.value("comparisons", 0);
    s.note = "A/A false alarms " + std::to_string(s.false_alarms) + " of " + std::to_string(s.comparisons);
    if (s.comparisons > 0) s.note += " (" + fmt_percent(static_cast<double>(s.false_alarms) / s.comparisons, 1) + ")";
    s.note += "; " + std::to_string(c.value("runs", 0)) + " count runs";
  } else {
    // Counts repeat exactly, so the tolerance is what they can see (not yet confirmed by calibrate).
    s.median = s.worst = t.counts.instr;
    s.note = "the tolerance; counts repeat exactly (no stored count calibration)";
  }
  return s;
}

void line(std::ostringstream& o, const std::string& m, const Seen& s) {
  o << "- " << label(m) << ": ";
  if (s.median < 0) {
    o << "not calibrated (`baselines/thresholds.json` has no calibration for it)\n";
    return;
  }
  // calibrate stores 0.805 for "not flagged within 80%" (e.g. too few pairs for the test).
  auto pct = [](double v) { return v > 0.8 ? std::string("more than 80%") : fmt_percent(v, 1); };
  if (s.median > 0.8) o << "no slowdown within 80%";
  else o << pct(s.median) << " or more";
  if (s.worst > s.median && s.median <= 0.8) o << " (worst cell " << pct(s.worst) << ")";
  if (!s.note.empty()) o << "; " << s.note;
  o << "\n";
}

// Timing methods with a stored calibration that this verdict did not use (e.g. duet in a compare).
std::set<std::string> calibrated_methods(const Thresholds& t) {
  std::set<std::string> out;
  if (t.calibration.is_object() && t.calibration.contains("kinds") && t.calibration.at("kinds").is_array())
    for (const auto& k : t.calibration.at("kinds"))
      if (k.is_object() && k.contains("mde_median")) out.insert(k.value("kind", ""));
  return out;
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
  for (const auto& [m, s] : seen) line(o, m, s);
  std::set<std::string> others;
  for (const auto& m : calibrated_methods(t))
    if (!methods.count(m)) others.insert(m);
  if (!others.empty()) {
    o << "\nCalibrated but not used by this verdict:\n\n";
    for (const auto& m : others) line(o, m, timing_seen(t, m, false));
  }
  if (t.calibration.is_object() && t.calibration.contains("date"))
    o << "\nTiming figures from `bench-all calibrate` (latest " << t.calibration.value("date", "?") << ") on "
      << t.calibration.value("machine", "?") << " (`" << t.file << "`).\n";
  return o.str();
}

}  // namespace quant::harness
