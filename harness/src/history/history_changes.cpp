#include "harness/history/history_changes.h"

#include <algorithm>
#include <sstream>

#include "harness/plan/measures.h"
#include "harness/stats/format.h"

namespace quant::harness {

bool higher_is_better(const std::string& measure) {
  Measure m{};
  return measure_from_name(measure, m) && higher_is_better(m);
}

std::vector<SeriesChange> history_changes(const std::vector<HistorySeries>& series, const ChangePointOptions& o) {
  std::vector<SeriesChange> out;
  for (const auto& s : series) {
    std::vector<double> v;
    for (const auto& p : s.points) v.push_back(p.value);
    ChangePointOptions so = o;
    so.seed = derive_seed(o.seed, s.key());  // a series' answer does not depend on the others
    for (const auto& cp : find_change_points(v, so)) {
      SeriesChange c;
      c.series = &s;
      c.step = cp;
      c.from_commit = s.points[cp.index - 1].commit;
      c.to_commit = s.points[cp.index].commit;
      c.time = s.points[cp.index].commit_time;
      c.regression = higher_is_better(s.measure) ? cp.after < cp.before : cp.after > cp.before;
      out.push_back(c);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SeriesChange& a, const SeriesChange& b) { return a.time > b.time; });
  return out;
}

std::string step_text(const ChangePoint& c) {
  if (c.before > 0 && c.after > 0) return fmt_ratio_ci(c.ratio, c.ci);
  return fmt("%+.4g", c.after - c.before);
}

std::string render_changes(const std::vector<SeriesChange>& changes) {
  if (changes.empty()) return "no change points\n";
  std::ostringstream o;
  o << "committed             commits                    kind         step [95% CI]           before -> after      "
       "p       measure    cell (machine, suite)\n";
  for (const auto& c : changes) {
    char line[512];
    const std::string range = short_sha(c.from_commit).substr(0, 10) + ".." + short_sha(c.to_commit).substr(0, 10);
    const std::string values = fmt("%.4g", c.step.before) + " -> " + fmt("%.4g", c.step.after);
    std::snprintf(line, sizeof line, "%-21s %-26s %-12s %-23s %-20s %-7.3f %-10s ", utc_time_text(c.time).c_str(),
                  range.c_str(), c.regression ? "REGRESSION" : "improvement", step_text(c.step).c_str(),
                  values.c_str(), c.step.p, c.series->measure.c_str());
    o << line << c.series->cell << " (" << c.series->machine << ", " << c.series->suite << ")\n";
  }
  return o.str();
}

}  // namespace quant::harness
