#include "harness/report/release_notes.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "harness/stats/format.h"
#include "harness/report/report.h"

namespace quant::harness {

constexpr const char* kStoredResultsTail = ".results.json.gz";


namespace fs = std::filesystem;

namespace {

// "1.10.0-rc1" -> numbers {1, 10, 0} and suffix "rc1" (no suffix sorts after any suffix).
std::pair<std::vector<long>, std::string> version_key(const std::string& v) {
  std::string core = v, suffix;
  if (!core.empty() && (core[0] == 'v' || core[0] == 'V')) core = core.substr(1);
  const size_t dash = core.find('-');
  if (dash != std::string::npos) {
    suffix = core.substr(dash + 1);
    core = core.substr(0, dash);
  }
  std::vector<long> nums;
  std::stringstream ss(core);
  for (std::string part; std::getline(ss, part, '.');) {
    long n = 0;
    for (char c : part)
      if (std::isdigit(static_cast<unsigned char>(c))) n = n * 10 + (c - '0');
    nums.push_back(n);
  }
  return {nums, suffix};
}

bool same_machine(const Results& a, const Results& b) {
  return a.system.value("cpu_model", "a") == b.system.value("cpu_model", "b") &&
         a.system.value("n_cores", 0) == b.system.value("n_cores", -1);
}

}  // namespace

bool version_less(const std::string& a, const std::string& b) {
  auto [na, sa] = version_key(a);
  auto [nb, sb] = version_key(b);
  if (na != nb) return na < nb;
  if (sa.empty() != sb.empty()) return !sa.empty();  // a pre-release comes before its release
  return sa < sb;
}

std::string stored_results_path(const std::string& dir, const std::string& version) {
  return (fs::path(dir) / (version + kStoredResultsTail)).string();
}

std::vector<std::string> stored_versions(const std::string& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string tail = kStoredResultsTail;
    if (name.size() > tail.size() && name.ends_with(tail)) v.push_back(name.substr(0, name.size() - tail.size()));
  }
  std::sort(v.begin(), v.end(), version_less);
  return v;
}

std::optional<std::string> previous_version(const std::string& dir, const std::string& version) {
  std::optional<std::string> best;
  for (const auto& v : stored_versions(dir))
    if (version_less(v, version)) best = v;
  return best;
}

namespace {

// One measure of a cell both releases hold, as a table row; false when there is nothing to compare.
bool write_change_row(std::ostream& o, const CellResult& c, const CellResult& old, const std::string& m,
                      const Analysis& a, const Analysis& pa, bool machine) {
  const MeasureStats* x = a.find(c.cell.id, m);
  const MeasureStats* y = pa.find(c.cell.id, m);
  if (!x || !y) {
    if (!x && !y) return false;
    o << "| `" << c.cell.id << "` | " << m << " | " << (y ? fmt("%.6g", y->summary.median) : old.status) << " | "
      << (x ? fmt("%.6g", x->summary.median) : c.status) << " | — | " << (x ? "now measured" : "no longer measured")
      << " |\n";
    return true;
  }
  const bool timing = x->has_ci && y->has_ci;
  if (timing && machine) {
    BootstrapOptions bo = a.options.bootstrap;
    bo.seed = derive_seed(bo.seed, "release|" + c.cell.id + "|" + m);
    const double ratio = x->summary.median / y->summary.median;
    const Interval ci = bootstrap_ratio_ci(x->values, y->values, bo);
    o << "| `" << c.cell.id << "` | " << m << " | " << fmt_rate_ci(y->summary.median, y->ci) << " | "
      << fmt_rate_ci(x->summary.median, x->ci) << " | " << fmt_ratio_ci(ratio, ci) << " | "
      << (ci.lo > 1 ? "faster" : ci.hi < 1 ? "slower" : "no clear change") << " |\n";
  } else if (timing) {
    const Comparison* cx = a.compare("kv_vs_fp32", c.cell.id, m);
    const Comparison* cy = pa.compare("kv_vs_fp32", c.cell.id, m);
    if (!cx || !cy) return false;
    o << "| `" << c.cell.id << "` | " << m << " vs fp32 | " << fmt_ratio_ci(cy->ratio, cy->ci) << " | "
      << fmt_ratio_ci(cx->ratio, cx->ci) << " | — | "
      << (cx->ci.lo > cy->ci.hi ? "higher" : cx->ci.hi < cy->ci.lo ? "lower" : "intervals overlap") << " |\n";
  } else {
    const double d = x->summary.median - y->summary.median;
    o << "| `" << c.cell.id << "` | " << m << " | " << fmt("%.6g", y->summary.median) << " | "
      << fmt("%.6g", x->summary.median) << " | " << fmt("%+.6g", d) << " | " << (d == 0 ? "unchanged" : "changed")
      << " |\n";
  }
  return true;
}

// The table of every cell and measure both releases hold, then the cells only one of them has.
void write_changes(std::ostream& o, const std::string& version, const Results& now, const Analysis& a,
                   const PreviousRelease& prev) {
  const Results& was = prev.results;
  const Analysis pa = analyze(was, a.options);
  const bool machine = same_machine(now, was);
  o << "Compared with " << prev.version << " (run `" << was.run_id << "`, " << was.started << "). ";
  if (machine)
    o << "Same machine class (" << now.system.value("cpu_model", "?") << ", " << now.system.value("n_cores", 0)
      << " cores): tok/s changes are ratios of medians, now / then, with 95% bootstrap intervals.\n\n";
  else
    o << "**Different machines** (then: " << was.system.value("cpu_model", "?") << ", now: "
      << now.system.value("cpu_model", "?") << "): absolute tok/s are not compared; the within-run ratios to the "
      << "fp32 cache are shown instead.\n\n";
  o << "| Cell | Measure | " << prev.version << " | " << version << " | change [95% CI] | verdict |\n";
  o << "|---|---|---:|---:|---:|---|\n";
  int rows = 0;
  std::vector<std::string> added, removed;
  for (const auto& c : now.cells) {
    const CellResult* old = was.cell(c.cell.id);
    if (!old) {
      added.push_back(c.cell.id);
      continue;
    }
    for (const auto& m : measures_of(c.cell)) rows += write_change_row(o, c, *old, m, a, pa, machine);
  }
  for (const auto& c : was.cells)
    if (!now.cell(c.cell.id)) removed.push_back(c.cell.id);
  if (rows == 0) o << "| — | — | — | — | — | no cell in common |\n";
  o << "\n";
  if (!added.empty()) o << "New cells: " << added.size() << " (first: `" << added.front() << "`).\n\n";
  if (!removed.empty()) o << "Cells no longer measured: " << removed.size() << " (first: `" << removed.front() << "`).\n\n";
}

}  // namespace

std::string render_release_notes(const std::string& version, const Results& now, const Analysis& a,
                                 const std::optional<PreviousRelease>& prev, const std::string& claims) {
  std::ostringstream o;
  o << "# quant " << version << ": benchmark tables\n\n";
  o << "Generated by `bench-all release-notes --version " << version << "` from the `" << now.suite_name
    << "` suite's results (run `" << now.run_id << "`, " << now.started << "; stored beside this file as " << version
    << kStoredResultsTail << "). Nothing here is typed by hand. " << status_counts(now) << ".\n\n";
  o << render_model_sections(now, a, "##");

  o << "## What changed since the previous release\n\n";
  if (!prev)
    o << "No earlier release has stored results, so there is nothing to compare with.\n\n";
  else
    write_changes(o, version, now, a, *prev);
  o << "## Claims\n\n"
    << (claims.empty() ? "Not checked: the claim gate (`bench-all claims`) is not part of this build yet.\n\n" : claims + "\n");
  o << render_problem_cells(now, "##");
  o << "---\n\n" << render_provenance(now, a);
  return o.str();
}

namespace {

// Every Markdown heading line (the title and each table's caption) gets " (preview, not a release)".
std::string mark_headings(const std::string& md) {
  std::istringstream in(md);
  std::ostringstream out;
  std::string line;
  bool fenced = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (!fenced && line.rfind("#", 0) == 0) line += std::string(" (") + kPreviewMarker + ")";
    out << line << "\n";
  }
  return out.str();
}

}  // namespace

std::string render_release_preview(const std::string& results_file, const Results& now, const Analysis& a,
                                   const std::vector<std::string>& rules) {
  std::ostringstream o;
  o << "# quant release tables\n\n";
  o << "**This is a " << kPreviewMarker << "**: generated by `bench-all release-notes --preview " << results_file
    << "` from the `" << now.suite_name << "` suite's results (run `" << now.run_id << "`, " << now.started
    << "). Release notes come only from a `release` suite sweep (`bench-all release-notes --version X`), and "
    << "`bench-all claims --lint` refuses this file as one. " << status_counts(now) << ".\n\n";
  if (!rules.empty()) {
    o << "## Methodology rules a release would fail\n\n";
    for (const auto& r : rules) o << "- " << r << "\n";
    o << "\n";
  }
  o << render_model_sections(now, a, "##");
  o << render_problem_cells(now, "##");
  o << "---\n\n" << render_provenance(now, a);
  return mark_headings(o.str());
}

}  // namespace quant::harness
