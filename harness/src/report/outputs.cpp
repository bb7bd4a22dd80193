#include "harness/report/outputs.h"

#include <filesystem>

#include "harness/report/csv.h"
#include "harness/report/html_report.h"
#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness/report/report.h"

namespace quant::harness {

namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::string>> generated_texts(const Results& r, const Analysis& a) {
  return {{"report.md", render_report(r, a)},
          {"report.html", render_html_report(r, a)},
          {"measures.csv", measures_csv(r, a)},
          {"comparisons.csv", comparisons_csv(r, a)},
          {"samples.csv", samples_csv(r)}};
}

void write_outputs(const Results& r, const Analysis& a, const std::string& dir) {
  const fs::path d(dir);
  // All or nothing: a full disk keeps the previous complete set of outputs.
  std::vector<std::pair<std::string, std::string>> files = {
      {(d / "results.json").string(),
       results_to_json(r, to_json(a)).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}};
  for (const auto& [name, text] : generated_texts(r, a)) files.push_back({(d / name).string(), text});
  write_text_files(files);
}

bool write_plots(const std::string& root, const std::string& dir, std::FILE* log) {
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const std::string script = (fs::path(root) / "scripts" / "plot.py").string();
  const ProcessResult p = run_process({python, script, (fs::path(dir) / "results.json").string()}, {}, 300);
  if (p.started && p.exit_code == 0) return true;
  std::fprintf(log, "bench-all: error: plots not made: %s\n",
               (p.started ? tail_lines(p.err + p.out, 3, 500) : p.err).c_str());
  return false;
}

}  // namespace quant::harness
