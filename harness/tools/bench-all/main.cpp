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

// The sweep, report and plan subcommands (the gate and history ones are declared in their own files).
struct MainCommands {
  quant::harness::cli::RunArgs run;
  quant::harness::cli::BuildArgs build;
  quant::harness::cli::PlanArgs plan;
  quant::harness::cli::ValidateArgs val;
  quant::harness::cli::ReportArgs report;
  quant::harness::cli::MergeArgs merge;
  quant::harness::cli::ReleaseArgs rel;
  CLI::App *run_cmd = nullptr, *build_cmd = nullptr, *plan_cmd = nullptr, *val_cmd = nullptr, *report_cmd = nullptr,
           *merge_cmd = nullptr, *rel_cmd = nullptr;
};

void add_sweep_commands(CLI::App& app, MainCommands& m) {
  m.run_cmd = app.add_subcommand("run", "run a suite and write reports/<run>/ (results.json, report.md, CSV, PNG)");
  m.run_cmd->add_option("--suite", m.run.suite, "suite name (suites/NAME.json) or path")->capture_default_str();
  m.run_cmd->add_option("--variants", m.run.variants, "variants file (default: harness/variants.json)");
  m.run_cmd->add_option("--out", m.run.out, "output folder (default: reports/<suite>-<UTC time>)");
  m.run_cmd->add_option("--resume", m.run.resume, "continue the interrupted sweep in this folder (from its journal)");
  m.run_cmd->add_option("--shard", m.run.shard, "run shard i of n of the cells (1-based, e.g. 2/4)");
  m.run_cmd->add_option("--binary", m.run.binaries, "use a prebuilt quant for a variant: NAME=PATH (repeatable)");
  m.run_cmd->add_option("-j,--jobs", m.run.jobs, "parallel jobs when building variants")->check(CLI::Range(1, 256));
  m.run_cmd->add_flag("--no-plots", m.run.no_plots, "skip scripts/plot.py");
  m.run_cmd->add_option("--max-runs", m.run.max_runs, "stop after N runs, as if interrupted (resume later)")
      ->check(CLI::Range(0, 1 << 30));

  m.build_cmd = app.add_subcommand("build", "configure and build variants, recording CMake options, compiler, flags");
  m.build_cmd->add_option("--variants", m.build.variants, "variants file (default: harness/variants.json)");
  m.build_cmd->add_option("names", m.build.names, "variants to build (default: all)");
  m.build_cmd->add_option("-j,--jobs", m.build.jobs, "parallel jobs")->check(CLI::Range(1, 256));
}

void add_report_commands(CLI::App& app, MainCommands& m) {
  m.report_cmd = app.add_subcommand("report", "regenerate report.md, CSV and plots from a results.json");
  m.report_cmd->add_option("results", m.report.results, "results.json")->required();
  m.report_cmd->add_option("--out", m.report.out, "output folder (default: the results file's folder)");
  m.report_cmd->add_flag("--check", m.report.check, "write nothing; fail if report.md, a CSV or a plot's data (plots.json) differs from a regeneration");
  m.report_cmd->add_flag("--no-plots", m.report.no_plots, "skip scripts/plot.py (with --check: do not check the plots)");

  m.merge_cmd = app.add_subcommand("merge", "join the results of the shards of one sweep");
  m.merge_cmd->add_option("results", m.merge.inputs, "shard results.json files")->required();
  m.merge_cmd->add_option("--out", m.merge.out, "output folder")->required();
  m.merge_cmd->add_flag("--no-plots", m.merge.no_plots, "skip scripts/plot.py");

  m.rel_cmd = app.add_subcommand("release-notes", "write reports/releases/VERSION.md from release-suite results (--preview: any suite, no release)");
  m.rel_cmd->add_option("--version", m.rel.version, "release version, e.g. 0.2.0 (or --preview)");
  m.rel_cmd->add_option("--preview", m.rel.preview,
                        "results.json of any suite: write a preview, marked 'preview, not a release' (no release file)");
  m.rel_cmd->add_option("--out", m.rel.out, "with --preview: the Markdown file (default: release-preview.md beside the results)");
  m.rel_cmd->add_option("--results", m.rel.results, "results.json of a release-suite sweep (default: the newest under reports/)");
  m.rel_cmd->add_option("--previous", m.rel.previous, "compare with this stored release (default: the newest older one)");
  m.rel_cmd->add_flag("--force", m.rel.force, "overwrite an existing release file");
}

void add_plan_commands(CLI::App& app, MainCommands& m) {
  m.plan_cmd = app.add_subcommand("plan", "print the cells a suite (or one shard) would run, their runs and an estimated duration");
  m.plan_cmd->add_option("--suite", m.plan.suite, "suite name or path")->capture_default_str();
  m.plan_cmd->add_option("--variants", m.plan.variants, "variants file");
  m.plan_cmd->add_option("--shard", m.plan.shard, "only shard i of n");

  m.val_cmd = app.add_subcommand("validate", "check the variants file and suites");
  m.val_cmd->add_option("suites", m.val.suites, "suite names or paths (default: every suites/*.json)");
  m.val_cmd->add_option("--variants", m.val.variants, "variants file");
}

// The exit code of the chosen sweep or report subcommand; -1 when none of them was chosen.
int run_main_command(const MainCommands& m, const quant::harness::cli::Common& common) {
  using namespace quant::harness::cli;
  if (*m.run_cmd) return cmd_run(common, m.run);
  if (*m.build_cmd) return cmd_build(common, m.build);
  if (*m.report_cmd) return cmd_report(common, m.report);
  if (*m.merge_cmd) return cmd_merge(common, m.merge);
  if (*m.rel_cmd) return cmd_release_notes(common, m.rel);
  if (*m.plan_cmd) return cmd_plan(common, m.plan);
  if (*m.val_cmd) return cmd_validate(common, m.val);
  return -1;
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

  MainCommands main_commands;
  add_sweep_commands(app, main_commands);
  add_report_commands(app, main_commands);
  add_plan_commands(app, main_commands);
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
    if (const int code = run_main_command(main_commands, common); code >= 0) return code;
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
