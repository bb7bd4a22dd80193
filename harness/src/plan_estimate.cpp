#include "harness/plan_estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

PlanEstimate estimate_plan(const std::vector<Cell>& cells, const Results* earlier) {
  PlanEstimate e;
  std::map<std::string, std::vector<double>> by_id, by_metric;
  if (earlier)
    for (const CellResult& c : earlier->cells)
      for (const RunRecord& r : c.runs)
        if (r.ok() && r.wall_s > 0) {
          by_id[c.cell.id].push_back(r.wall_s);
          by_metric[metric_name(c.cell.metric)].push_back(r.wall_s);
        }
  double seconds = 0;
  bool all_timed = earlier != nullptr;
  for (const Cell& c : cells) {
    e.runs += c.runs();
    e.max_seconds += c.runs() * c.timeout_s;
    if (auto it = by_id.find(c.id); it != by_id.end()) {
      seconds += c.runs() * median(it->second);
      ++e.cells_by_id;
    } else if (auto m = by_metric.find(metric_name(c.metric)); m != by_metric.end()) {
      seconds += c.runs() * median(m->second);
      ++e.cells_by_metric;
    } else {
      all_timed = false;
    }
  }
  if (all_timed) e.seconds = seconds;
  return e;
}

std::string newest_results_of_suite(const std::string& root, const std::string& suite_name) {
  std::string best;
  fs::file_time_type newest{};
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(fs::path(root) / "reports", ec)) {
    const fs::path p = d.path() / "results.json";
    if (d.path().filename().string().rfind(suite_name + "-", 0) != 0 || !fs::exists(p)) continue;
    if (best.empty() || fs::last_write_time(p) > newest) {
      newest = fs::last_write_time(p);
      best = p.string();
    }
  }
  return best;
}

std::string duration_text(double seconds) {
  const long s = std::lround(seconds);
  char buf[48];
  const long minutes = std::lround(seconds / 60);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld h %02ld min", minutes / 60, minutes % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld s", s);
  return buf;
}

}  // namespace quant::harness
