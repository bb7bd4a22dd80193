#include "harness/outputs.h"

#include <filesystem>

#include "harness/csv.h"
#include "harness/html_report.h"
#include "harness/json_check.h"
#include "harness/process.h"
#include "harness/report.h"

namespace quant::harness {

namespace fs = std::filesystem;

void write_outputs(const Results& r, const Analysis& a, const std::string& dir) {
  const fs::path d(dir);
  write_text_file((d / "results.json").string(), results_to_json(r, to_json(a)).dump(1) + "\n");
  write_text_file((d / "report.md").string(), render_report(r, a));
  write_text_file((d / "report.html").string(), render_html_report(r, a));
  write_text_file((d / "measures.csv").string(), measures_csv(r, a));
  write_text_file((d / "comparisons.csv").string(), comparisons_csv(r, a));
  write_text_file((d / "samples.csv").string(), samples_csv(r));
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
