// bench-all: builds the engine's variants, sweeps suites through `quant --json`, keeps statistics and
// writes reports and release notes. Exit codes: 0 every cell measured; 1 a cell failed (or an error);
// 2 bad command line; 3 nothing failed but some cells were missing or unsupported.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "commands.h"
#include "gate_commands.h"
#include "quant/build_info.h"
#include "history_commands.h"
#include "quant/error.h"

namespace {

// `bench-all` alone, or without a subcommand: each subcommand with its one-line description.
void print_subcommands(const CLI::App& app, FILE* out) {
  std::fprintf(out, "usage: bench-all SUBCOMMAND [OPTIONS]   (bench-all SUBCOMMAND --help: its options)\nsubcommands:\n");
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    std::fprintf(out, "  %-14s %s\n", sub->get_name().c_str(), sub->get_description().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quant::harness::cli;
  CLI::App app{"bench-all: measure every KV type x model x build, with statistics, reports and release notes"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.set_version_flag("--version", quant::version_text("bench-all"), "Show the version, commit, build type and options");
  app.fallthrough();  // global options (--root) after the subcommand too: `bench-all run --root X`
  Common common;
  app.add_option("--root", common.root, "project root (default: the source tree bench-all was built from)");

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "run a suite and write reports/<run>/ (results.json, report.md, CSV, PNG)");
  run_cmd->add_option("--suite", run.suite, "suite name (suites/NAME.json) or path")->capture_default_str();
  run_cmd->add_option("--variants", run.variants, "variants file (default: harness/variants.json)");
  run_cmd->add_option("--out", run.out, "output folder (default: reports/<suite>-<UTC time>)");
  run_cmd->add_option("--resume", run.resume, "continue the interrupted sweep in this folder (from its journal)");
  run_cmd->add_option("--shard", run.shard, "run shard i of n of the cells (1-based, e.g. 2/4)");
  run_cmd->add_option("--binary", run.binaries, "use a prebuilt quant for a variant: NAME=PATH (repeatable)");
  run_cmd->add_option("-j,--jobs", run.jobs, "parallel jobs when building variants")->check(CLI::Range(1, 256));
  run_cmd->add_flag("--no-plots", run.no_plots, "skip scripts/plot.py");
  run_cmd->add_option("--max-runs", run.max_runs, "stop after N runs, as if interrupted (resume later)")
      ->check(CLI::Range(0, 1 << 30));

  BuildArgs build;
  CLI::App* build_cmd = app.add_subcommand("build", "configure and build variants, recording CMake options, compiler, flags");
  build_cmd->add_option("--variants", build.variants, "variants file (default: harness/variants.json)");
  build_cmd->add_option("names", build.names, "variants to build (default: all)");
  build_cmd->add_option("-j,--jobs", build.jobs, "parallel jobs")->check(CLI::Range(1, 256));

  ReportArgs report;
  CLI::App* report_cmd = app.add_subcommand("report", "regenerate report.md, CSV and plots from a results.json");
  report_cmd->add_option("results", report.results, "results.json")->required();
  report_cmd->add_option("--out", report.out, "output folder (default: the results file's folder)");
  report_cmd->add_flag("--check", report.check, "write nothing; fail if report.md, a CSV or a plot's data (plots.json) differs from a regeneration");
  report_cmd->add_flag("--no-plots", report.no_plots, "skip scripts/plot.py (with --check: do not check the plots)");

  MergeArgs merge;
  CLI::App* merge_cmd = app.add_subcommand("merge", "join the results of the shards of one sweep");
  merge_cmd->add_option("results", merge.inputs, "shard results.json files")->required();
  merge_cmd->add_option("--out", merge.out, "output folder")->required();
  merge_cmd->add_flag("--no-plots", merge.no_plots, "skip scripts/plot.py");

  ReleaseArgs rel;
  CLI::App* rel_cmd = app.add_subcommand("release-notes", "write reports/releases/VERSION.md from release-suite results (--preview: any suite, no release)");
  rel_cmd->add_option("--version", rel.version, "release version, e.g. 0.2.0 (or --preview)");
  rel_cmd->add_option("--preview", rel.preview,
                      "results.json of any suite: write a preview, marked 'preview, not a release' (no release file)");
  rel_cmd->add_option("--out", rel.out, "with --preview: the Markdown file (default: release-preview.md beside the results)");
  rel_cmd->add_option("--results", rel.results, "results.json of a release-suite sweep (default: the newest under reports/)");
  rel_cmd->add_option("--previous", rel.previous, "compare with this stored release (default: the newest older one)");
  rel_cmd->add_flag("--force", rel.force, "overwrite an existing release file");

  PlanArgs plan;
  CLI::App* plan_cmd = app.add_subcommand("plan", "print the cells a suite (or one shard) would run, their runs and an estimated duration");
  plan_cmd->add_option("--suite", plan.suite, "suite name or path")->capture_default_str();
  plan_cmd->add_option("--variants", plan.variants, "variants file");
  plan_cmd->add_option("--shard", plan.shard, "only shard i of n");

  ValidateArgs val;
  CLI::App* val_cmd = app.add_subcommand("validate", "check the variants file and suites");
  val_cmd->add_option("suites", val.suites, "suite names or paths (default: every suites/*.json)");
  val_cmd->add_option("--variants", val.variants, "variants file");

  const auto gate = add_gate_commands(app);  // baseline, compare, claims, ab, calibrate
  const auto history = add_history_commands(app);  // history add, import, show, changes, html

  if (argc == 1) {
    print_subcommands(app, stderr);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "bench-all: error: %s\n", e.what());
    if (app.get_subcommands().empty()) print_subcommands(app, stderr);
    return 2;
  }
  try {
    if (*run_cmd) return cmd_run(common, run);
    if (*build_cmd) return cmd_build(common, build);
    if (*report_cmd) return cmd_report(common, report);
    if (*merge_cmd) return cmd_merge(common, merge);
    if (*rel_cmd) return cmd_release_notes(common, rel);
    if (*plan_cmd) return cmd_plan(common, plan);
    if (*val_cmd) return cmd_validate(common, val);
    if (const int code = run_gate_command(*gate, common); code >= 0) return code;
    if (const int code = run_history_command(*history, common); code >= 0) return code;
  } catch (const quant::InputError& e) {
    std::fprintf(stderr, "bench-all: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::filesystem::filesystem_error& e) {  // a folder bench-all cannot read or write
    std::fprintf(stderr, "bench-all: error: %s: %s\n", e.path1().c_str(), e.code().message().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-all: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
