#include "harness/judge/calibration_store.h"

#include <algorithm>
#include <fstream>

namespace quant::harness {

using nlohmann::json;

namespace {

double& threshold_ref(TimingThresholds& t, const std::string& kind) {
  return kind == "compare" ? t.compare : kind == "ratio" ? t.ratio : kind == "duet" ? t.duet : t.ab;
}

bool same_kind(const json& a, const std::string& measure, const std::string& kind) {
  return a.is_object() && a.value("measure", "") == measure && a.value("kind", "") == kind;
}

}  // namespace

json load_average_now() {
  std::ifstream f("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (!(f >> a >> b >> c)) return json::array();
  return json::array({a, b, c});
}

Thresholds store_calibration(const Thresholds& current, const Calibration& c, const json& evidence) {
  Thresholds t = current;
  json cal = current.calibration.is_object() ? current.calibration : json::object();
  json kinds = cal.contains("kinds") && cal["kinds"].is_array() ? cal["kinds"] : json::array();
  json run = evidence.is_object() ? evidence : json::object();
  run.update({{"date", c.date}, {"machine", c.machine}, {"suite", c.suite}, {"method", c.method},
              {"sweeps", c.sweeps}, {"pairs", c.pairs}, {"cells", c.cells}});
  for (const auto& k : c.kinds) {
    // Keep the stricter threshold: a recommendation looser than the threshold in use is evidence of
    // noise, not a reason to let bigger slowdowns through.
    double& in_use = threshold_ref(t.timing[k.measure], k.kind);
    const bool keep_current = k.current <= k.recommended;
    in_use = keep_current ? k.current : k.recommended;
    json x{{"measure", k.measure}, {"kind", k.kind}, {"method", c.method}, {"date", c.date},
           {"comparisons", k.comparisons}, {"worst_deviation", k.worst_deviation},
           {"recommended", k.recommended}, {"threshold", in_use},
           {"kept", keep_current ? "the threshold in use (the recommendation was looser)" : "the recommendation"},
           {"false_alarms", keep_current ? k.false_alarms_current : k.false_alarms_recommended},
           {"mde_median", keep_current ? k.mde_median_current : k.mde_median},
           {"mde_max", keep_current ? k.mde_max_current : k.mde_max},
           {"mde_median_at_recommended", k.mde_median}, {"mde_max_at_recommended", k.mde_max}};
    x["mde_per_cell_at_recommended"] = json::object();
    for (const auto& cell : k.cells) x["mde_per_cell_at_recommended"][cell.cell] = cell.mde;
    kinds.erase(std::remove_if(kinds.begin(), kinds.end(),
                               [&](const json& o) { return same_kind(o, k.measure, k.kind); }),
                kinds.end());
    kinds.push_back(x);
  }
  json runs = cal.contains("runs") && cal["runs"].is_array() ? cal["runs"] : json::array();
  if (!c.kinds.empty()) {
    // One stored run per method: the new one replaces an older calibration of the same method.
    runs.erase(std::remove_if(runs.begin(), runs.end(),
                              [&](const json& o) { return o.is_object() && o.value("method", "") == c.method; }),
               runs.end());
    runs.push_back(run);
    cal["date"] = c.date;
    cal["machine"] = c.machine;
  }
  cal["kinds"] = kinds;
  cal["runs"] = runs;
  cal["rule"] = "per kind: threshold = the stricter of the one in use and the recommendation (largest A/A "
                "|1 - ratio| x 1.25, rounded up to 0.5%); false_alarms and mde_* (smallest slowdown flagged in "
                "95% of trials) are measured at that threshold";
  if (c.recommended.calibration.is_object() && c.recommended.calibration.contains("counts"))
  {
    // The count runs' own identity, not the timing sweeps' (a counts-only run has none).
    json& counts = cal["counts"] = c.recommended.calibration["counts"];
    json ev = evidence.is_object() ? evidence : json::object();
    ev.update({{"date", counts.value("date", c.date)}, {"machine", counts.value("machine", c.machine)},
               {"suite", counts.value("suite", c.suite)}, {"method", "counts"}, {"runs", counts.value("runs", 0)}});
    counts["evidence"] = ev;
  }
  t.calibration = cal;
  return t;
}

}  // namespace quant::harness
