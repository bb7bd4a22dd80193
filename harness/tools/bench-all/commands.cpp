#include "commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>
#include <filesystem>
#include <thread>

#include "harness/stats/analysis.h"
#include "harness/claims/claims.h"
#include "harness/stats/format.h"
#include "harness/stats/rank_tests.h"
#include "harness/util/gzip.h"
#include "harness/util/json_check.h"
#include "harness/judge/methodology.h"
#include "harness/report/outputs.h"
#include "harness/util/paths.h"
#include "harness/measure/peer_llamacpp.h"
#include "harness/plan/plan_estimate.h"
#include "harness/report/release_notes.h"
#include "harness/report/report.h"
#include "harness/sweep/runner.h"
#include "harness/plan/suite.h"
#include "harness/judge/thresholds.h"
#include "harness/measure/variant_build.h"
#include "quant/error.h"

namespace quant::harness::cli {

namespace fs = std::filesystem;

namespace {

std::string variants_file(const std::string& root, const std::string& given) {
  return given.empty() ? (fs::path(root) / "harness" / "variants.json").string() : given;
}

int jobs_or_cores(int jobs) {
  return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// A path as the user would type it from here: relative when below the current folder.
std::string shown_path(const std::string& path) {
  if (path.empty()) return ".";
  const std::string r = fs::absolute(path).lexically_proximate(fs::current_path()).string();
  return r.rfind("..", 0) == 0 ? fs::absolute(path).lexically_normal().string() : r;
}

// suites/NAME.json or a path; a name that names no file is a command-line error listing the suites found.
std::string existing_suite(const std::string& root, const std::string& name) {
  const std::string path = suite_path(root, name);
  if (fs::exists(path)) return path;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(root) / "suites", ec))
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  list = "suites in " + (fs::path(root) / "suites").string() + ": " + (list.empty() ? "none" : list);
  if (path == name) throw InputError("--suite: " + path + ": no such file (" + list + ")", 2);
  throw InputError("--suite: no suite '" + name + "' (" + list + ")", 2);
}

std::string new_out_dir(const std::string& root, const std::string& suite_name) {
  std::time_t t = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&t));
  const fs::path base = fs::path(root) / "reports" / (suite_name + "-" + stamp);
  fs::path p = base;
  for (int i = 2; fs::exists(p); ++i) p = base.string() + "-" + std::to_string(i);
  return p.string();
}

std::string summary_line(const Results& r) {
  std::map<std::string, int> n;
  for (const auto& c : r.cells) ++n[c.status];
  return std::to_string(r.cells.size()) + " cells: " + std::to_string(n["ok"]) + " ok, " + std::to_string(n["error"]) +
         " failed, " + std::to_string(n["missing"]) + " missing, " + std::to_string(n["unsupported"]) + " unsupported" +
         (n["incomplete"] ? ", " + std::to_string(n["incomplete"]) + " incomplete" : "");
}

// Writes the outputs; returns the sweep's exit code (or 1 when the plots failed).
int finish_outputs(const std::string& root, const Results& r, const std::string& dir, bool plots) {
  const Analysis a = analyze(r);
  write_outputs(r, a, dir);
  bool plots_ok = true;
  if (plots) plots_ok = write_plots(root, dir, stderr);
  std::printf("bench-all: %s\nbench-all: report: %s\n", summary_line(r).c_str(),
              shown_path((fs::path(dir) / "report.md").string()).c_str());
  const int code = sweep_exit_code(r);
  return code == 0 && !plots_ok ? 1 : code;
}

std::string command_line_of(const RunArgs& a) {
  std::string s = "bench-all run --suite " + a.suite;
  if (!a.shard.empty()) s += " --shard " + a.shard;
  for (const auto& b : a.binaries) s += " --binary " + b;
  if (!a.resume.empty()) s += " --resume " + a.resume;
  return s;
}

}  // namespace

int cmd_run(const Common& c, const RunArgs& a) {
  SweepOptions o;
  o.root = project_root(c.root);
  o.variants_file = variants_file(o.root, a.variants);
  o.jobs = jobs_or_cores(a.jobs);
  o.max_runs = a.max_runs;
  o.tty = isatty(fileno(stderr));
  o.command = command_line_of(a);
  for (const auto& b : a.binaries) {
    const size_t eq = b.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == b.size())
      throw InputError("--binary: '" + b + "' is not NAME=PATH", 2);
    o.binaries[b.substr(0, eq)] = b.substr(eq + 1);
  }
  if (!a.resume.empty()) {
    if (!a.shard.empty() || !a.binaries.empty() || !a.out.empty())
      throw InputError("--resume takes the suite, shard, binaries and folder from the journal; drop the other options", 2);
    o.resume = true;
    o.out_dir = a.resume;
  } else {
    o.suite_file = existing_suite(o.root, a.suite);
    if (!a.shard.empty()) o.shard = parse_shard(a.shard);
    // Validate before creating any folder.
    const Suite s = load_suite(o.suite_file, load_variants(o.variants_file));
    o.out_dir = a.out.empty() ? new_out_dir(o.root, s.name) : a.out;
    if (fs::exists(fs::path(o.out_dir) / "journal.jsonl"))
      throw InputError(o.out_dir + ": holds a sweep already (continue it with --resume " + o.out_dir + ")");
  }
  std::fprintf(stderr, "bench-all: sweep folder %s\n", o.out_dir.c_str());
  SweepOutcome out = run_sweep(o, stderr);
  const int code = finish_outputs(o.root, out.results, o.out_dir, !a.no_plots);
  if (out.interrupted) {
    std::printf("bench-all: stopped after %d runs; continue with: bench-all run --resume %s\n", a.max_runs,
                o.out_dir.c_str());
    return 1;
  }
  return code;
}

int cmd_build(const Common& c, const BuildArgs& a) {
  const std::string root = project_root(c.root);
  const VariantSet set = load_variants(variants_file(root, a.variants));
  std::vector<const Variant*> todo;
  for (const auto& n : a.names) {
    const Variant* v = set.find(n);
    if (!v) throw InputError("build: unknown variant '" + n + "' (not in " + set.file + ")", 2);
    todo.push_back(v);
  }
  if (todo.empty())
    for (const auto& v : set.variants) todo.push_back(&v);
  int failed = 0;
  for (const Variant* v : todo) {
    std::ostringstream log;
    const VariantBuild b = v->is_peer() ? prepare_llamacpp(*v, root, "") : build_variant(*v, root, jobs_or_cores(a.jobs), log);
    std::fputs(log.str().c_str(), stderr);
    std::printf("%s: %s\n", v->name.c_str(), b.built ? ("built " + b.binary).c_str() : ("NOT BUILT: " + b.reason).c_str());
    if (b.built) {
      std::printf("  compiler: %s\n  flags: %s\n", b.compiler.c_str(), b.cxx_flags.c_str());
      for (const auto& [k, val] : b.cache) std::printf("  %s=%s\n", k.c_str(), val.c_str());
    }
    failed += !b.built;
  }
  return failed ? 1 : 0;
}

int cmd_report(const Common& c, const ReportArgs& a) {
  const std::string root = project_root(c.root);
  const Results r = load_results(a.results);
  const std::string dir = a.out.empty() ? fs::path(a.results).parent_path().string() : a.out;
  if (a.check) {
    const Analysis an = analyze(r);
    std::vector<std::string> problems;
    const nlohmann::json doc = read_json_file(a.results);
    if (JsonNode(doc, a.results).at("analysis").raw() != to_json(an))
      problems.push_back(a.results + ": $.analysis differs from statistics recomputed from its samples");
    for (auto& p : check_outputs(root, r, an, dir, !a.no_plots)) problems.push_back(std::move(p));
    for (const auto& p : problems) std::fprintf(stderr, "bench-all: error: %s\n", p.c_str());
    if (!problems.empty()) return 1;
    std::printf("bench-all: report.md, the CSVs%s in %s match a regeneration from %s\n",
                a.no_plots ? "" : " and the plots' data", shown_path(dir).c_str(), a.results.c_str());
    return 0;
  }
  const Analysis an = analyze(r);
  write_outputs(r, an, dir);
  const bool plots_ok = a.no_plots || write_plots(root, dir, stderr);
  std::printf("bench-all: %s\nbench-all: report: %s\n", summary_line(r).c_str(),
              shown_path((fs::path(dir) / "report.md").string()).c_str());
  return plots_ok ? 0 : 1;
}

int cmd_merge(const Common& c, const MergeArgs& a) {
  const std::string root = project_root(c.root);
  std::vector<Results> shards;
  for (const auto& f : a.inputs) shards.push_back(load_results(f));
  const Results m = merge_results(shards, a.inputs);
  return finish_outputs(root, m, a.out, !a.no_plots);
}

namespace {

// --preview: the release tables of any suite's results, beside them (never under reports/releases/).
int write_release_preview(const ReleaseArgs& a) {
  if (!a.version.empty() || !a.previous.empty() || !a.results.empty() || a.force)
    throw InputError("--preview writes no release: drop --version, --results, --previous and --force", 2);
  const std::string out = a.out.empty() ? (fs::path(a.preview).parent_path() / "release-preview.md").string() : a.out;
  if (fs::weakly_canonical(fs::absolute(out)).parent_path().filename() == "releases")
    throw InputError("--out " + out + ": releases/ holds releases only; write the preview elsewhere", 2);
  const Results r = load_results(a.preview);
  std::vector<std::string> rules;
  for (const auto& v : check_methodology(r)) rules.push_back(v.rule + ": " + v.message);
  write_text_file(out, render_release_preview(a.preview, r, analyze(r), rules));
  std::printf("bench-all: wrote %s (a preview, not a release; %zu methodology rule(s) a release would fail)\n",
              shown_path(out).c_str(), rules.size());
  return 0;
}

}  // namespace

int cmd_release_notes(const Common& c, const ReleaseArgs& a) {
  if (!a.preview.empty()) return write_release_preview(a);
  if (!a.out.empty()) throw InputError("--out: only with --preview (releases go to reports/releases/)", 2);
  if (a.version.empty()) throw InputError("release-notes: needs --version X (a release) or --preview RESULTS", 2);
  const std::string root = project_root(c.root);
  const std::string dir = (fs::path(root) / "reports" / "releases").string();
  if (!is_plain_name(a.version))
    throw InputError("--version: '" + a.version + "' is not a version name (" + kPlainNameRule + ")", 2);
  std::string results_path = a.results;
  if (results_path.empty()) {
    // The newest release-suite sweep under reports/.
    fs::file_time_type newest{};
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(root) / "reports", ec)) {
      const fs::path p = e.path() / "results.json";
      if (e.path().filename().string().rfind("release-", 0) != 0 || !fs::exists(p)) continue;
      if (results_path.empty() || fs::last_write_time(p) > newest) {
        newest = fs::last_write_time(p);
        results_path = p.string();
      }
    }
    if (results_path.empty())
      throw InputError("release-notes: no reports/release-*/results.json; run `bench-all run --suite release` first "
                       "or pass --results");
  }
  const Results now = load_results(results_path);
  if (now.suite_name != "release")
    throw InputError(results_path + ": results of suite '" + now.suite_name + "', release notes need the release suite");
  const std::string md = (fs::path(dir) / (a.version + ".md")).string();
  const std::string stored = stored_results_path(dir, a.version);
  if (!a.force && (fs::exists(md) || fs::exists(stored)))
    throw InputError(md + ": release " + a.version + " exists already (use --force to regenerate it)");
  std::optional<PreviousRelease> prev;
  const std::optional<std::string> pv = a.previous.empty() ? previous_version(dir, a.version) : a.previous;
  if (pv) {
    const std::string p = stored_results_path(dir, *pv);
    if (!fs::exists(p)) throw InputError("--previous " + *pv + ": " + p + " does not exist");
    prev = PreviousRelease{*pv, load_results(p)};
  }
  // The gate: release figures must pass the methodology rules; the notes list every claim's verdict.
  const std::vector<RuleViolation> broken = check_methodology(now);
  if (!broken.empty())
    throw InputError(results_path + ": methodology rule " + broken[0].rule + " fails: " + broken[0].message +
                     (broken.size() > 1 ? " (and " + std::to_string(broken.size() - 1) + " more: bench-all claims --results " +
                                              results_path + ")" : ""));
  const std::string claims = release_claims_section(claims_path(root), "../../claims/claims.json", now);
  const Analysis an = analyze(now);
  write_text_file(stored, gzip_bytes(results_to_json(now, to_json(an)).dump(1) + "\n"));
  write_text_file(md, render_release_notes(a.version, now, an, prev, claims));
  std::printf("bench-all: wrote %s (and %s)%s\n", md.c_str(), stored.c_str(),
              prev ? (", compared with " + prev->version).c_str() : ", no earlier release to compare with");
  return 0;
}

int cmd_plan(const Common& c, const PlanArgs& a) {
  SweepOptions o;
  o.root = project_root(c.root);
  o.variants_file = variants_file(o.root, a.variants);
  o.suite_file = existing_suite(o.root, a.suite);
  if (!a.shard.empty()) o.shard = parse_shard(a.shard);
  // Listing generates no model: a generated one not written yet is sized from its spec.
  const VariantSet variants = load_variants(o.variants_file);
  const Suite suite = load_suite(o.suite_file, variants);
  std::ostringstream log;
  const Inputs inputs = resolve_inputs(suite, o.root, log, false);
  std::fputs(log.str().c_str(), stderr);
  const auto cells = shard_cells(plan_cells(suite, inputs), o.shard);
  const auto unsupported_by_peer = [&](const Cell& c) {
    const Variant* v = variants.find(c.variant);
    return v && v->is_peer() && !llamacpp_unsupported(c, *v).empty();
  };
  const PlanEstimate e =
      estimate_plan(cells, suite, inputs, (fs::path(o.root) / "reports").string(), unsupported_by_peer);
  std::map<std::string, double> by_variant, by_model;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::printf("%s  %d runs (%d warm-up)  ~%.*f s\n", cells[i].id.c_str(), cells[i].runs(), cells[i].warmup,
                e.cell_seconds[i] < 10 ? 1 : 0,
                e.cell_seconds[i]);
    by_variant[cells[i].variant] += e.cell_seconds[i];
    by_model[cells[i].model] += e.cell_seconds[i];
  }
  for (const auto& [name, s] : by_variant) std::fprintf(stderr, "bench-all: variant %s ~%.1f min\n", name.c_str(), s / 60);
  for (const auto& [name, s] : by_model) std::fprintf(stderr, "bench-all: model %s ~%.1f min\n", name.c_str(), s / 60);
  for (const auto& [name, f] : e.variant_factor)
    std::fprintf(stderr, "bench-all: variant %s ran %.2fx as long as the default build on the same cells (journals)\n",
                 name.c_str(), f);
  std::fprintf(stderr, "bench-all: %d cells, %d runs; estimated %.0f s (%.1f min): %d cells from earlier journals' run "
               "times, %d from a model-size estimate, %d not run (unsupported by a peer)\n", e.cells, e.runs, e.seconds,
               e.seconds / 60, e.from_journal, e.from_model_size, e.not_run);
  return 0;
}

namespace {

// compare tests each timing with Mann-Whitney (reps vs reps): with too few processes per cell even a
// complete separation stays above alpha, so compare reports "cannot decide" for that suite's timings.
std::string undecidable_note(const Suite& s, const std::string& root) {
  if (!s.speed) return "";
  const std::string tpath = thresholds_path(root);
  const double alpha = fs::exists(tpath) ? load_thresholds(tpath).alpha : 0.05;
  std::string out;
  for (const auto& v : s.variants) {
    int reps = s.speed->reps;
    if (auto o = s.speed_overrides.find(v); o != s.speed_overrides.end() && o->second.reps > 0) reps = o->second.reps;
    const double p = mann_whitney_min_p(reps, reps);
    if (p >= alpha)
      out += (out.empty() ? "" : "; ") + std::string("variant ") + v + ": " + std::to_string(reps) +
             " processes per speed cell cannot reach p < " + fmt("%.3g", alpha) + " (Mann-Whitney " +
             std::to_string(reps) + " vs " + std::to_string(reps) + ": smallest p " + fmt("%.3g", p) +
             "), so `compare` can only answer CANNOT DECIDE for its timings";
  }
  return out;
}

}  // namespace

int cmd_validate(const Common& c, const ValidateArgs& a) {
  const std::string root = project_root(c.root);
  const VariantSet set = load_variants(variants_file(root, a.variants));
  std::vector<std::string> files;
  for (const auto& s : a.suites) files.push_back(existing_suite(root, s));
  if (files.empty()) {
    const fs::path dir = fs::path(root) / "suites";
    if (!fs::is_directory(dir)) throw InputError(dir.string() + ": no suites folder");
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  for (const auto& f : files) {
    const Suite s = load_suite(f, set);
    std::printf("%s: ok (suite %s: %zu variants, %zu models, %zu KV pairs)\n", f.c_str(), s.name.c_str(),
                s.variants.size(), s.models.size(), s.kv.size());
    if (const std::string note = undecidable_note(s, root); !note.empty()) std::printf("%s: note: %s\n", f.c_str(), note.c_str());
  }
  std::printf("%s: ok (%zu variants, default %s)\n", set.file.c_str(), set.variants.size(),
              set.default_variant().name.c_str());
  return 0;
}

}  // namespace quant::harness::cli
