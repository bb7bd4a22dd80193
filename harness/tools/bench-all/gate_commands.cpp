#include "gate_commands.h"
#include "lint_files.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/judge/ab.h"
#include "harness/store/baseline.h"
#include "harness/judge/calibrate.h"
#include "harness/judge/calibration_store.h"
#include "harness/claims/claims.h"
#include "harness/claims/claims_report.h"
#include "harness/judge/compare.h"
#include "harness/judge/counts_calibrate.h"
#include "harness/sweep/runner.h"
#include "harness/claims/doc_lint.h"
#include "harness/judge/duet.h"
#include "harness/util/json_check.h"
#include "harness/judge/methodology.h"
#include "harness/util/paths.h"
#include "harness/plan/suite.h"
#include "harness/judge/thresholds.h"
#include "harness/stats/format.h"
#include "harness/stats/rank_tests.h"
#include "harness/measure/variant_build.h"
#include "quant/error.h"

namespace quant::harness::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string stamp() {
  std::time_t t = std::time(nullptr);
  char s[32];
  std::strftime(s, sizeof s, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return s;
}

std::string fresh_dir(const std::string& root, const std::string& name) {
  const fs::path base = fs::path(root) / "reports" / (name + "-" + stamp());
  fs::path p = base;
  for (int i = 2; fs::exists(p); ++i) p = base.string() + "-" + std::to_string(i);
  return p.string();
}

int cores(int jobs) { return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// Appends Markdown to a file such as $GITHUB_STEP_SUMMARY.
void append_summary(const std::string& path, const std::string& md) {
  if (path.empty()) return;
  std::ofstream f(path, std::ios::app);
  if (!f) throw InputError("--summary: cannot append to " + path);
  f << md << "\n";
}

void write_verdict(const GateReport& g, const std::string& dir, const std::string& name, const std::string& summary) {
  fs::create_directories(dir);
  const std::string md = render_gate_markdown(g);
  write_text_file((fs::path(dir) / (name + ".md")).string(), md);
  write_text_file((fs::path(dir) / (name + ".json")).string(), gate_json(g).dump(1) + "\n");
  append_summary(summary, md);
  std::fputs(md.c_str(), stdout);
  std::printf("bench-all: verdict written to %s/%s.{md,json}\n", dir.c_str(), name.c_str());
}

Thresholds thresholds_at(const std::string& root, const std::string& given) {
  return load_thresholds(given.empty() ? thresholds_path(root) : given);
}

std::map<std::string, std::string> env_pairs(const std::vector<std::string>& list, const std::string& flag) {
  std::map<std::string, std::string> m;
  for (const auto& e : list) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(flag + ": '" + e + "' is not NAME=VALUE", 2);
    m[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return m;
}

std::string variants_at(const std::string& root, const std::string& given) {
  return given.empty() ? (fs::path(root) / "harness" / "variants.json").string() : given;
}

// What an A/B run and an A/A calibration share: both commands take the same flags for the paired runs.
template <class PairedArgs>
PairedOptions paired_options(const std::string& root, const PairedArgs& a, const std::string& method) {
  PairedOptions o;
  o.root = root;
  o.variants_file = variants_at(root, a.variants);
  o.suite_file = suite_path(root, a.suite);
  o.variant = a.variant;
  o.pairs = a.pairs;
  o.warmup = a.warmup;
  o.method = method;
  o.slice_tg = a.slice_tg;
  o.slice_pp = a.slice_pp;
  o.duet_processes = a.duet_processes;
  o.tty = isatty(fileno(stderr));
  return o;
}

void add_duet_options(CLI::App* cmd, std::string& method, int& slice_tg, int& slice_pp, int& processes) {
  cmd->add_option("--method", method,
                  "processes (a quant --bench process per run), duet (two quant --serve-bench processes timed slice "
                  "by slice in turn) or duet-parallel (both at once, one core each)")
      ->capture_default_str();
  cmd->add_option("--slice-tg", slice_tg, "duet: tokens per tg slice (default: the cell's -n)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--slice-pp", slice_pp, "duet: tokens per pp slice (default: the cell's -p)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--duet-processes", processes, "duet: fresh pairs of processes per cell, each for an equal share of the rounds")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
}

// The method a stored sweep was measured with (its command line says so; see plan_paired).
std::string method_of_sweep(const Results& r) {
  for (const char* m : {"duet-parallel", "duet"})
    if (r.command.find(std::string("--method ") + m + " ") != std::string::npos) return m;
  return "processes";
}

const Variant& pick_variant(const VariantSet& set, const std::string& name) {
  if (name.empty()) return set.default_variant();
  const Variant* v = set.find(name);
  if (!v) throw InputError("--variant: unknown variant '" + name + "' (not in " + set.file + ")", 2);
  if (v->is_peer()) throw InputError("--variant: '" + name + "' is a peer engine, not a build of quant", 2);
  return *v;
}

}  // namespace

int cmd_baseline_update(const Common& c, const BaselineArgs& a) {
  const std::string root = project_root(c.root);
  const Results r = load_results(a.results);
  std::ostringstream log;
  const auto files = update_baseline(r, root, log);
  std::fputs(log.str().c_str(), stderr);
  const std::optional<Machine> m = machine_of(r);
  for (const auto& f : files) std::printf("bench-all: baseline written: %s\n", f.c_str());
  std::printf("bench-all: machine class %s (%s); review and commit the files\n", m->slug().c_str(), m->text().c_str());
  return 0;
}

int cmd_baseline_list(const Common& c, const std::string& suite) {
  const std::string root = project_root(c.root);
  std::vector<std::string> suites;
  if (!suite.empty()) {
    suites.push_back(suite);
  } else if (fs::is_directory(fs::path(root) / "baselines")) {
    for (const auto& e : fs::directory_iterator(fs::path(root) / "baselines"))
      if (e.is_directory()) suites.push_back(e.path().filename().string());
    std::sort(suites.begin(), suites.end());
  }
  for (const auto& s : suites)
    for (const auto& b : list_baselines(root, s))
      std::printf("%s\t%s\t%s\t%s\n", s.c_str(), b.variant.c_str(), b.machine.text().c_str(), b.path.c_str());
  return 0;
}

int cmd_compare(const Common& c, const CompareArgs& a) {
  const std::string root = project_root(c.root);
  const Results cur = load_results(a.results);
  if (cur.cells.empty()) throw InputError(a.results + ": $.cells: no cells, nothing to compare");
  if (!cur.shard.empty())
    throw InputError(a.results + ": shard " + cur.shard + " of a sweep; merge the shards first (bench-all merge)");
  const Thresholds t = thresholds_at(root, a.thresholds);
  std::vector<std::string> notes;
  auto baselines = a.baseline.empty() ? find_baselines(cur, root, notes) : explicit_baseline(cur, a.baseline);
  if (a.ratios_only) {
    // One machine class spans hosts (a cloud VM model name says little): CI judges only what carries
    // across hosts, within-run ratios and deterministic figures, with the cross-machine tolerances.
    for (auto& [bu, base] : baselines) bu.same_machine = false, bu.ratios_only = true;
    notes.push_back("--ratios-only: absolute tok/s are not judged; within-run ratios get " +
                    std::to_string(static_cast<int>(t.cross_machine_allowance * 100 + 0.5)) +
                    "% added to their thresholds and deterministic figures the cross-machine tolerances");
  }
  GateReport g = compare_results(cur, baselines, t);
  g.title = "Run `" + cur.run_id + "` (suite `" + cur.suite_name + "`, " +
            (machine_of(cur) ? machine_of(cur)->text() : std::string("mixed machines")) + ") against the stored baselines.";
  g.notes.insert(g.notes.begin(), notes.begin(), notes.end());
  if (baselines.empty()) {
    g.notes.push_back("no variant of this run has a baseline: nothing was judged");
    g.no_baseline = true;
  }
  const std::string dir = a.out.empty() ? fs::path(a.results).parent_path().string() : a.out;
  write_verdict(g, dir.empty() ? "." : dir, "verdict", a.summary);
  return gate_exit_code(g);
}

int cmd_claims(const Common& c, const ClaimsArgs& a) {
  const std::string root = project_root(c.root);
  const ClaimsFile claims = load_claims(a.claims.empty() ? claims_path(root) : a.claims);
  std::optional<Results> results;
  if (!a.results.empty()) results = load_results(a.results);
  std::ostringstream md;
  int failures = 0;
  md << "## bench-all claims\n\n";
  if (results) {
    md << "Claims of `" << claims.file << "` against run `" << results->run_id << "` (`" << a.results << "`):\n\n";
    for (const auto& v : check_methodology(*results)) {
      md << "- **rule broken** `" << v.rule << "`: " << v.message << "\n";
      ++failures;
    }
    for (const auto& cl : claims.claims) {
      const ClaimOutcome o = evaluate_claim(cl, *results);
      bool all_absent = true;
      for (const auto& ch : o.checks) all_absent &= ch.absent;
      if (all_absent) {
        md << "- not covered by this run: `" << cl.id << "` (" << o.checks[0].why << ")\n";
        continue;
      }
      std::string figs;
      for (const auto& ch : o.checks)
        if (!ch.figure.empty()) figs += (figs.empty() ? "" : "; ") + ch.figure;
      md << "- **" << (o.pass ? "holds" : "FAILS") << "** `" << cl.id << "`: " << cl.text << (figs.empty() ? "" : " — " + figs)
         << "\n";
      for (const auto& r : o.reasons) md << "  - " << r << "\n";
      failures += !o.pass;
    }
  } else {
    md << "No results file given: claims are not evaluated, only documents' links and wording.\n";
  }
  std::vector<LintedDoc> docs;
  const LintFiles lint = expand_lint_args(a.lint);
  for (const auto& pattern : lint.empty_patterns) md << "\n`" << pattern << "`: no file matches, nothing to lint\n";
  for (const auto& doc : lint.files) {
    const bool release = fs::path(doc).parent_path().filename() == "releases";
    LintedDoc d{doc, {}, {}};
    d.problems = release ? lint_release_notes(doc, claims, &d.escapes)
                         : lint_claims(doc, read_text(doc), claims, results ? &*results : nullptr, false, &d.escapes);
    md << "\n`" << doc << "`: " << (d.problems.empty() ? "ok" : std::to_string(d.problems.size()) + " problem(s)");
    if (!d.escapes.empty()) md << ", " << d.escapes.size() << " sentence(s) marked not-a-claim";
    md << "\n";
    for (const auto& p : d.problems) md << "- " << p.text() << "\n";
    for (const auto& e : d.escapes) md << "- not-a-claim " << doc << ":" << e.line << " (" << e.reason << "): " << e.sentence << "\n";
    failures += static_cast<int>(d.problems.size());
    docs.push_back(std::move(d));
  }
  md << "\n" << (failures ? "**FAIL**: " + std::to_string(failures) + " problem(s)" : std::string("**PASS**")) << "\n";
  const std::string text = md.str();
  std::fputs(text.c_str(), stdout);
  append_summary(a.summary, text);
  if (!a.out.empty()) {
    fs::create_directories(a.out);
    write_text_file((fs::path(a.out) / "claims.md").string(), text);
    write_text_file((fs::path(a.out) / "claims.json").string(),
                    claims_report_json(claims, results ? &*results : nullptr, a.results, docs).dump(1) + "\n");
  }
  return failures ? 1 : 0;
}

int cmd_ab(const Common& c, const AbArgs& a) {
  const std::string root = project_root(c.root);
  PairedOptions o = paired_options(root, a, parse_paired_method("--method", a.method));
  const VariantSet set = load_variants(o.variants_file);
  load_suite(o.suite_file, set);  // validate before building anything
  const Thresholds t = thresholds_at(root, a.thresholds);
  const Variant& v = pick_variant(set, a.variant);
  std::ostringstream log;
  auto arm = [&](const std::string& name, const std::string& rev, const std::string& binary,
                 const std::vector<std::string>& env, bool working_tree) {
    ArmSpec s;
    s.name = name;
    s.env = env_pairs(env, "--" + name + "-env");
    if (!binary.empty()) {
      s.build = prebuilt_variant(v, binary);
      s.revision = "binary " + s.build.binary;
      if (!s.build.built) throw InputError("--" + name + "-binary " + binary + ": no such file");
    } else if (working_tree) {
      s.revision = "working tree";
      s.build = build_variant(v, root, cores(a.jobs), log);
    } else {
      const std::string commit = resolve_revision(root, rev);
      s.revision = rev + " (" + commit.substr(0, 12) + ")";
      s.build = build_revision(root, commit, v, cores(a.jobs), log);
    }
    std::fputs(log.str().c_str(), stderr);
    log.str("");
    if (!s.build.built) throw InputError(name + " (" + s.revision + ") could not be built: " + s.build.reason);
    for (const auto& [k, val] : s.env) s.revision += " with " + k + "=" + val;
    return s;
  };
  if (a.base.empty() && a.base_binary.empty()) throw InputError("ab: give --base REV (or --base-binary PATH)", 2);
  o.arms[0] = arm("base", a.base, a.base_binary, a.base_env, false);
  o.arms[1] = arm("head", a.head, a.head_binary, a.head_env, a.head.empty());
  const std::string dir = a.out.empty() ? fresh_dir(root, "ab") : a.out;
  std::fprintf(stderr, "bench-all: A/B of %s (base) and %s (head), method %s, %d pairs per cell, folder %s\n",
               o.arms[0].revision.c_str(), o.arms[1].revision.c_str(), o.method.c_str(), a.pairs, dir.c_str());
  const PairedRun run = run_paired(o, stderr);
  fs::create_directories(dir);
  for (int i = 0; i < 2; ++i)
    write_text_file((fs::path(dir) / (o.arms[i].name + ".results.json")).string(),
                    results_to_json(run.arms[i], json::object()).dump(1) + "\n");
  const GateReport g = ab_report(run, t);
  write_verdict(g, dir, "ab", a.summary);
  return gate_exit_code(g);
}

namespace {

// The counts method: the suite's count cells measured a.count_runs times (stored as counts-K.results.json;
// --from reads them back).
CountCalibration calibrate_count_runs(const std::string& root, const CalibrateArgs& a, const std::string& dir,
                                      const Thresholds& t) {
  std::vector<Results> runs;
  auto stored = [&](int k) { return (fs::path(dir) / ("counts-" + std::to_string(k) + ".results.json")).string(); };
  if (!a.from.empty()) {
    for (int k = 1; fs::exists(stored(k)); ++k) runs.push_back(load_results(stored(k)));
  } else if (a.count_runs > 0) {
    const std::string suite = write_counts_only_suite(suite_path(root, a.suite), (fs::path(dir) / "counts-suite.json").string());
    if (suite.empty()) return {};
    for (int k = 1; k <= a.count_runs; ++k) {
      std::fprintf(stderr, "bench-all: count run %d of %d\n", k, a.count_runs);
      SweepOptions o;
      o.root = root;
      o.suite_file = suite;
      o.variants_file = variants_at(root, a.variants);
      o.out_dir = (fs::path(dir) / ("counts-" + std::to_string(k))).string();
      o.jobs = cores(a.jobs);
      o.command = "bench-all calibrate (counts)";
      fs::create_directories(o.out_dir);
      runs.push_back(run_sweep(o, stderr).results);
      write_text_file(stored(k), results_to_json(runs.back(), json::object()).dump(1) + "\n");
    }
  }
  return runs.empty() ? CountCalibration{} : calibrate_counts(runs, t);
}

// Separate processes give `pairs` samples per arm and cell: below 6 neither rank test can reach alpha
// (3 pairs: Mann-Whitney's smallest p is 0.1, the signed-rank test's 0.25), so every MDE would come out
// "> 80%" after a long run. Say so before running anything.
void refuse_undecidable_pairs(int pairs, double alpha) {
  const double mw = mann_whitney_min_p(pairs, pairs), sr = wilcoxon_min_p(pairs);
  if (mw < alpha && sr < alpha) return;
  int enough = pairs;
  while (mann_whitney_min_p(enough, enough) >= alpha || wilcoxon_min_p(enough) >= alpha) ++enough;
  throw InputError("--pairs " + std::to_string(pairs) + ": with " + std::to_string(pairs) +
                   " processes per arm the smallest p the tests can reach is " + fmt("%.3g", mw) +
                   " (Mann-Whitney) / " + fmt("%.3g", sr) + " (signed rank), not below alpha " + fmt("%.3g", alpha) +
                   ": no slowdown could be detected; use --pairs " + std::to_string(enough) + " or more",
                   2);
}

}  // namespace

int cmd_calibrate(const Common& c, const CalibrateArgs& a) {
  const std::string method = parse_paired_method("--method", a.method);
  const std::string root = project_root(c.root);
  const std::string tpath = a.thresholds.empty() ? thresholds_path(root) : a.thresholds;
  const Thresholds current = load_thresholds(tpath);
  std::vector<PairedRun> sweeps;
  if (a.from.empty() && method == "processes") refuse_undecidable_pairs(a.pairs, current.alpha);
  const std::string dir = a.out.empty() ? (a.from.empty() ? fresh_dir(root, "calibrate") : a.from) : a.out;
  // The load while it ran is part of the evidence: a shared machine's noise sets what it can see.
  json evidence{{"load_average_start", load_average_now()}, {"from", a.from},
                {"settings", {{"method", method}, {"sweeps", a.sweeps}, {"pairs", a.pairs}, {"warmup", a.warmup},
                              {"slice_tg", a.slice_tg}, {"slice_pp", a.slice_pp}, {"duet_processes", a.duet_processes},
                              {"count_runs", a.count_runs}}}};
  if (!a.from.empty()) {
    for (int k = 1;; ++k) {
      const fs::path b = fs::path(a.from) / ("sweep-" + std::to_string(k) + "-a.results.json");
      const fs::path h = fs::path(a.from) / ("sweep-" + std::to_string(k) + "-b.results.json");
      if (!fs::exists(b) || !fs::exists(h)) break;
      PairedRun run;
      run.arms[0] = load_results(b.string());
      run.arms[1] = load_results(h.string());
      run.method = method_of_sweep(run.arms[0]);
      for (const auto& cell : run.arms[0].cells) run.cells.push_back(cell.cell);
      sweeps.push_back(std::move(run));
    }
    if (sweeps.empty() && !fs::exists(fs::path(a.from) / "counts-1.results.json"))
      throw InputError("--from " + a.from + ": no sweep-1-a.results.json / sweep-1-b.results.json (nor counts-1.results.json)");
  } else {
    PairedOptions o = paired_options(root, a, method);
    const VariantSet set = load_variants(o.variants_file);
    load_suite(o.suite_file, set);
    const Variant& v = pick_variant(set, a.variant);
    std::ostringstream log;
    VariantBuild b = a.binary.empty() ? build_variant(v, root, cores(a.jobs), log) : prebuilt_variant(v, a.binary);
    std::fputs(log.str().c_str(), stderr);
    if (!b.built) throw InputError("calibrate: the build to calibrate is not available: " + b.reason);
    o.arms[0] = {"a", "the same build", b, {}};
    o.arms[1] = {"b", "the same build", b, {}};
    fs::create_directories(dir);
    for (int k = 1; k <= a.sweeps; ++k) {
      std::fprintf(stderr, "bench-all: A/A sweep %d of %d (method %s)\n", k, a.sweeps, o.method.c_str());
      PairedRun run = run_paired(o, stderr);
      for (int i = 0; i < 2; ++i)
        write_text_file((fs::path(dir) / ("sweep-" + std::to_string(k) + (i ? "-b" : "-a") + ".results.json")).string(),
                        results_to_json(run.arms[i], json::object()).dump(1) + "\n");
      sweeps.push_back(std::move(run));
    }
  }
  Calibration cal = calibrate(sweeps, current);
  fs::create_directories(dir);
  const CountCalibration counts = calibrate_count_runs(root, a, dir, current);
  evidence["load_average_end"] = load_average_now();
  // A fresh run keeps its evidence beside its sweeps; --from reads it back (the load of the run, not of now).
  const fs::path evidence_file = fs::path(dir) / "evidence.json";
  if (a.from.empty()) {
    write_text_file(evidence_file.string(), evidence.dump(1) + "\n");
  } else if (fs::exists(evidence_file)) {
    json stored = read_json_file(evidence_file.string());
    if (stored.is_object()) evidence = stored;
    evidence["from"] = a.from;
  }
  if (counts.runs > 0) cal.recommended.calibration["counts"] = count_calibration_json(counts);
  const std::string md = (sweeps.empty() ? "" : render_calibration_markdown(cal)) +
                         (counts.runs > 0 ? render_count_calibration(counts) : "");
  write_text_file((fs::path(dir) / "calibration.md").string(), md);
  write_text_file((fs::path(dir) / "calibration.json").string(), calibration_json(cal).dump(1) + "\n");
  std::fputs(md.c_str(), stdout);
  if (a.write) {
    write_text_file(tpath, to_json(store_calibration(current, cal, evidence)).dump(2) + "\n");
    std::printf("bench-all: calibration written to %s; no threshold was loosened (review and commit it)\n",
                tpath.c_str());
  } else {
    std::printf("bench-all: calibration in %s; --write stores it in %s\n", dir.c_str(),
                tpath.c_str());
  }
  return 0;
}

struct GateCommands {
  BaselineArgs baseline;
  std::string list_suite;
  CompareArgs compare;
  ClaimsArgs claims;
  AbArgs ab;
  CalibrateArgs calibrate;
  CLI::App *update = nullptr, *list = nullptr, *compare_cmd = nullptr, *claims_cmd = nullptr, *ab_cmd = nullptr,
           *calibrate_cmd = nullptr;
};

std::shared_ptr<GateCommands> add_gate_commands(CLI::App& app) {
  auto g = std::make_shared<GateCommands>();
  CLI::App* base = app.add_subcommand("baseline", "store or list baselines (baselines/<suite>/<machine>/<variant>.json)");
  base->require_subcommand(1);
  g->update = base->add_subcommand("update", "store a results file as the baseline of its suite, machine class and variants");
  g->update->add_option("results", g->baseline.results, "results.json of a whole (or merged) sweep")->required();
  g->list = base->add_subcommand("list", "list stored baselines");
  g->list->add_option("--suite", g->list_suite, "only this suite");

  CompareArgs& c = g->compare;
  g->compare_cmd = app.add_subcommand("compare", "judge a results file against the matching baselines (exit 1 on a regression)");
  g->compare_cmd->add_option("results", c.results, "results.json")->required();
  g->compare_cmd->add_option("--baseline", c.baseline, "compare with this results file instead of baselines/<suite>/");
  g->compare_cmd->add_option("--thresholds", c.thresholds, "thresholds file (default: baselines/thresholds.json)");
  g->compare_cmd->add_option("--out", c.out, "folder for verdict.md and verdict.json (default: the results' folder)");
  g->compare_cmd->add_option("--summary", c.summary, "also append the Markdown verdict to this file (e.g. $GITHUB_STEP_SUMMARY)");
  g->compare_cmd->add_flag("--ratios-only", c.ratios_only,
                           "judge only within-run ratios and deterministic figures, even on the same machine class");

  ClaimsArgs& cl = g->claims;
  g->claims_cmd = app.add_subcommand("claims", "check claims/claims.json against results and lint documents' claims");
  g->claims_cmd->add_option("--claims", cl.claims, "claims file (default: claims/claims.json)");
  g->claims_cmd->add_option("--results", cl.results, "results.json the claims are checked against");
  g->claims_cmd->add_option("--lint", cl.lint, "Markdown files to lint (reports/releases/X.md use X.results.json.gz)");
  g->claims_cmd->add_option("--out", cl.out, "folder for claims.md and claims.json");
  g->claims_cmd->add_option("--summary", cl.summary, "also append the Markdown report to this file");

  AbArgs& ab = g->ab;
  g->ab_cmd = app.add_subcommand("ab", "build two revisions and run them interleaved (A B, B A, ...); paired verdict");
  g->ab_cmd->add_option("--base", ab.base, "base revision (git)");
  g->ab_cmd->add_option("--head", ab.head, "head revision (default: the working tree)");
  g->ab_cmd->add_option("--suite", ab.suite, "suite whose speed cells are compared")->capture_default_str();
  g->ab_cmd->add_option("--variant", ab.variant, "build variant (default: the default variant)");
  g->ab_cmd->add_option("--variants", ab.variants, "variants file");
  g->ab_cmd->add_option("--pairs", ab.pairs, "measured pairs per cell")->check(CLI::Range(3, 1000))->capture_default_str();
  g->ab_cmd->add_option("--warmup", ab.warmup, "unmeasured pairs first")->check(CLI::Range(0, 100))->capture_default_str();
  g->ab_cmd->add_option("--base-binary", ab.base_binary, "use this quant as the base instead of building --base");
  g->ab_cmd->add_option("--head-binary", ab.head_binary, "use this quant as the head instead of building --head");
  g->ab_cmd->add_option("--base-env", ab.base_env, "NAME=VALUE for the base's runs (repeatable)");
  g->ab_cmd->add_option("--head-env", ab.head_env, "NAME=VALUE for the head's runs, e.g. QUANT_TEST_DELAY_US=200");
  g->ab_cmd->add_option("--thresholds", ab.thresholds, "thresholds file (default: baselines/thresholds.json)");
  g->ab_cmd->add_option("--out", ab.out, "output folder (default: reports/ab-<UTC time>)");
  g->ab_cmd->add_option("--summary", ab.summary, "also append the Markdown verdict to this file");
  g->ab_cmd->add_option("-j,--jobs", ab.jobs, "build parallelism")->check(CLI::Range(1, 256));
  add_duet_options(g->ab_cmd, ab.method, ab.slice_tg, ab.slice_pp, ab.duet_processes);

  CalibrateArgs& ca = g->calibrate;
  g->calibrate_cmd = app.add_subcommand("calibrate", "A/A: one build as both arms; false-alarm rate, thresholds, detectable slowdowns");
  g->calibrate_cmd->add_option("--suite", ca.suite, "suite whose speed cells are calibrated")->capture_default_str();
  g->calibrate_cmd->add_option("--variant", ca.variant, "build variant (default: the default variant)");
  g->calibrate_cmd->add_option("--variants", ca.variants, "variants file");
  g->calibrate_cmd->add_option("--sweeps", ca.sweeps, "paired A/A sweeps")->check(CLI::Range(1, 100))->capture_default_str();
  g->calibrate_cmd->add_option("--pairs", ca.pairs, "pairs per cell and sweep")->check(CLI::Range(3, 1000))->capture_default_str();
  g->calibrate_cmd->add_option("--warmup", ca.warmup, "unmeasured pairs first")->check(CLI::Range(0, 100))->capture_default_str();
  g->calibrate_cmd->add_option("--binary", ca.binary, "calibrate this quant (default: build the variant)");
  g->calibrate_cmd->add_option("--from", ca.from, "recompute from the sweeps stored in this folder");
  g->calibrate_cmd->add_option("--thresholds", ca.thresholds, "thresholds file (default: baselines/thresholds.json)");
  g->calibrate_cmd->add_option("--out", ca.out, "output folder (default: reports/calibrate-<UTC time>)");
  g->calibrate_cmd->add_option("--count-runs", ca.count_runs, "runs of the suite's count cells (the counts method; 0: none)")
      ->check(CLI::Range(0, 100))->capture_default_str();
  g->calibrate_cmd->add_flag("--write", ca.write, "store the calibration in the thresholds file (thresholds only tighten)");
  g->calibrate_cmd->add_option("-j,--jobs", ca.jobs, "build parallelism")->check(CLI::Range(1, 256));
  add_duet_options(g->calibrate_cmd, ca.method, ca.slice_tg, ca.slice_pp, ca.duet_processes);
  return g;
}

int run_gate_command(const GateCommands& g, const Common& c) {
  if (*g.update) return cmd_baseline_update(c, g.baseline);
  if (*g.list) return cmd_baseline_list(c, g.list_suite);
  if (*g.compare_cmd) return cmd_compare(c, g.compare);
  if (*g.claims_cmd) return cmd_claims(c, g.claims);
  if (*g.ab_cmd) return cmd_ab(c, g.ab);
  if (*g.calibrate_cmd) return cmd_calibrate(c, g.calibrate);
  return -1;
}

}  // namespace quant::harness::cli
