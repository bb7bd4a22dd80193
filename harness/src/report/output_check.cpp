// report --check: are the files in a sweep folder what its results generate today?
#include <filesystem>

#include "harness/util/json_check.h"
#include "harness/report/outputs.h"
#include "harness/util/process.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

size_t first_different_line(const std::string& a, const std::string& b) {
  size_t line = 1;
  for (size_t i = 0; i < std::min(a.size(), b.size()) && a[i] == b[i]; ++i) line += a[i] == '\n';
  return line;
}

// plots.json against `plot.py --data`, and each PNG present exactly when its plot has data.
void check_plots(const std::string& root, const std::string& dir, std::vector<std::string>& problems) {
  const fs::path d(dir);
  const std::string stored_path = (d / "plots.json").string();
  const char* pngs[] = {"pareto.png", "speed.png", "depth.png"};
  if (!fs::exists(stored_path)) {
    for (const char* png : pngs)
      if (fs::exists(d / png))
        problems.push_back((d / png).string() + ": no plots.json beside it, so its data cannot be checked "
                           "(regenerate with bench-all report)");
    return;
  }
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const std::string script = (fs::path(root) / "scripts" / "plot.py").string();
  const ProcessResult p = run_process({python, script, "--data", (d / "results.json").string()}, {}, 300);
  if (!p.started || p.exit_code != 0) {
    problems.push_back("plot.py --data failed: " + tail_lines(p.err + p.out, 3, 500));
    return;
  }
  const nlohmann::json fresh = nlohmann::json::parse(p.out, nullptr, false);
  const nlohmann::json stored = nlohmann::json::parse(read_text(stored_path), nullptr, false);
  if (stored.is_discarded()) {
    problems.push_back(stored_path + ": not valid JSON");
    return;
  }
  for (const char* png : pngs) {
    const bool drawn = fresh.contains(png) && !fresh.at(png).is_null();
    if (stored.value(png, nlohmann::json()) != fresh.value(png, nlohmann::json()))
      problems.push_back(stored_path + ": the data of " + png + " differs from what the results give today");
    if (drawn != fs::exists(d / png))
      problems.push_back((d / png).string() + (drawn ? ": missing (the results have data for it)"
                                                     : ": present, but the results have no data for it"));
  }
}

}  // namespace

std::vector<std::string> check_outputs(const std::string& root, const Results& r, const Analysis& a,
                                       const std::string& dir, bool plots) {
  std::vector<std::string> problems;
  for (const auto& [name, fresh] : generated_texts(r, a)) {
    const std::string path = (fs::path(dir) / name).string();
    if (!fs::exists(path)) {
      problems.push_back(path + ": missing");
      continue;
    }
    const std::string stored = read_text(path);
    if (stored != fresh)
      problems.push_back(path + ": differs from a regeneration (first difference on line " +
                         std::to_string(first_different_line(stored, fresh)) + ")");
  }
  if (plots) check_plots(root, dir, problems);
  return problems;
}

}  // namespace quant::harness
