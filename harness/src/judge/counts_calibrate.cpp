#include "harness/judge/counts_calibrate.h"

#include <cmath>
#include <sstream>

#include "harness/judge/count_gate.h"
#include "harness/measure/quant_run.h"
#include "harness/store/baseline.h"
#include "harness/stats/format.h"
#include "harness/util/json_check.h"

namespace quant::harness {

using nlohmann::json;

namespace {

bool flagged(Verdict v) { return v == Verdict::regression || v == Verdict::improvement; }

// cur's instruction counts scaled by 1 + s (what that much extra work per token would show).
CellResult inflated(const CellResult& c, double s) {
  CellResult x = c;
  for (auto& r : x.runs)
    for (const char* m : {"pp_instr_per_token", "tg_instr_per_token"})
      if (r.sample.contains(m)) r.sample[m] = r.sample[m].get<double>() * (1 + s);
  return x;
}

}  // namespace

CountCalibration calibrate_counts(const std::vector<Results>& runs, const Thresholds& t) {
  CountCalibration c;
  c.runs = static_cast<int>(runs.size());
  if (runs.empty()) return c;
  c.date = utc_now();
  const std::optional<Machine> m = machine_of(runs[0]);
  c.machine = m ? m->text() : "unknown";
  c.suite = runs[0].suite_name;
  if (runs.size() < 2) return c;
  std::vector<std::pair<const CellResult*, const CellResult*>> pairs;
  for (const auto& cell : runs[0].cells) {
    if (cell.cell.metric != Metric::counts) continue;
    ++c.cells;
    for (size_t x = 0; x < runs.size(); ++x)
      for (size_t y = 0; y < runs.size(); ++y) {
        if (x == y) continue;
        const CellResult *a = runs[x].cell(cell.cell.id), *b = runs[y].cell(cell.cell.id);
        if (a && b && a->ok() && b->ok()) pairs.emplace_back(a, b);
      }
  }
  for (const auto& [a, b] : pairs)
    for (const auto& check : judge_counts("counts", *a, *b, t)) {
      ++c.comparisons;
      c.false_alarms += flagged(check.decision.verdict);
      if (check.measure.find("instr") != std::string::npos) {
        const double x = count_value(*a, check.measure), y = count_value(*b, check.measure);
        if (x > 0 && y > 0) c.worst_deviation = std::max(c.worst_deviation, std::fabs(y / x - 1));
      }
    }
  if (pairs.empty()) return c;
  // The smallest increase (in steps of 0.1%) that every comparison flags as a regression.
  c.mde = -1;
  for (int step = 1; step <= 800 && c.mde < 0; ++step) {
    const double s = step * 0.001;
    bool all = true;
    for (const auto& [a, b] : pairs) {
      for (const auto& check : judge_counts("counts", *a, inflated(*b, s), t))
        if (check.measure.find("instr") != std::string::npos) all &= check.decision.verdict == Verdict::regression;
      if (!all) break;
    }
    if (all) c.mde = s;
  }
  if (c.mde < 0) c.mde = 0.805;
  return c;
}

std::string render_count_calibration(const CountCalibration& c) {
  std::ostringstream o;
  o << "\n### Counts (instructions and simulated LL misses per token under Valgrind)\n\n";
  if (c.comparisons == 0) {
    o << "No count cells measured twice: nothing to calibrate.\n";
    return o.str();
  }
  o << "| Method | runs | count cells | A/A comparisons | largest deviation (instructions) | false alarms | MDE |\n"
       "|---|---:|---:|---:|---:|---:|---:|\n";
  o << "| counts | " << c.runs << " | " << c.cells << " | " << c.comparisons << " | " << fmt("%.4f%%", c.worst_deviation * 100)
    << " | " << c.false_alarms << " (" << fmt_percent(static_cast<double>(c.false_alarms) / c.comparisons, 1) << ") | "
    << fmt_percent(c.mde, 1) << " |\n";
  return o.str();
}

json count_calibration_json(const CountCalibration& c) {
  return {{"runs", c.runs},           {"cells", c.cells},
          {"comparisons", c.comparisons}, {"false_alarms", c.false_alarms},
          {"worst_deviation", c.worst_deviation}, {"mde", c.mde},
          {"date", c.date},           {"machine", c.machine},
          {"suite", c.suite},
          {"method", "every ordered pair of count runs of one build; MDE = smallest increase of instructions per "
                     "token (0.1% steps) flagged in every comparison"}};
}

std::string write_counts_only_suite(const std::string& suite_file, const std::string& out_file) {
  json s = read_json_file(suite_file);
  if (!s.contains("counts")) return "";
  s["metrics"] = json::object();
  s.erase("speed_overrides");
  s["variants"] = json::array({s["counts"].at("variant")});
  // A model's own variants and speed settings refer to what this suite no longer has; counts.models picks
  // the models and the counts entry its settings.
  if (s.contains("models") && s["models"].is_array())
    for (auto& m : s["models"])
      if (m.is_object()) {
        m.erase("variants");
        m.erase("speed");
      }
  s["name"] = s.value("name", "suite");  // the same suite name: its baselines stay comparable
  write_text_file(out_file, s.dump(2) + "\n");
  return out_file;
}

}  // namespace quant::harness
