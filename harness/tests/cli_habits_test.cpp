// bench-all as a new user drives it: the subcommand list, global options after the subcommand, honest
// exit codes, plan's run count and duration, report --check over every generated file, release previews
// and the README's claims command on a clone without releases.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "harness/stats/analysis.h"
#include "harness/report/outputs.h"
#include "harness/plan/plan_estimate.h"
#include "harness/util/process.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

ProcessResult bench_all(std::vector<std::string> args) {
  args.insert(args.begin(), BENCH_ALL_BIN);
  return run_process(args, {}, 120);
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(BenchAllCli, BareCommandListsTheSubcommands) {
  const ProcessResult r = bench_all({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const char* sub : {"run", "build", "report", "merge", "release-notes", "plan", "validate", "baseline", "compare",
                          "claims", "ab", "calibrate"})
    EXPECT_TRUE(std::regex_search(r.err, std::regex(std::string("\n  ") + sub + " +[^ ]"))) << sub << ":\n" << r.err;
  const ProcessResult root_only = bench_all({"--root", QUANT_SOURCE_DIR});
  EXPECT_EQ(root_only.exit_code, 2);
  EXPECT_TRUE(has(root_only.err, "  plan ")) << root_only.err;
}

TEST(BenchAllCli, VersionAndGlobalOptionsAfterTheSubcommand) {
  const ProcessResult v = bench_all({"--version"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out.rfind("bench-all 0.", 0), 0u) << v.out;
  EXPECT_TRUE(has(v.out, "\ncommit: ") && has(v.out, "\nbuild type: ") && has(v.out, "\noptions: ")) << v.out;
  const ProcessResult after = bench_all({"validate", "--root", QUANT_SOURCE_DIR});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  const ProcessResult before = bench_all({"--root", QUANT_SOURCE_DIR, "validate"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(after.out, before.out);
}

TEST(BenchAllCli, UnknownSuiteIsACommandLineErrorListingTheSuites) {
  const auto p = test::make_fake_project("nosuch-suite");
  for (const char* cmd : {"run", "plan"}) {
    const ProcessResult r = bench_all({cmd, "--root", p.root, "--suite", "nosuch", "--variants", p.variants_file});
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_TRUE(has(r.err, "--suite: no suite 'nosuch' (suites in " + p.root + "/suites: test)")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const ProcessResult path = bench_all({"validate", "/nonexistent/suite.json"});
  EXPECT_EQ(path.exit_code, 2);
  EXPECT_TRUE(has(path.err, "--suite: /nonexistent/suite.json: no such file (suites in ")) << path.err;
}

// 3 KV types x (1 ppl cell of 1 run + 1 speed cell of 1 warm-up + 3 runs) = 15 runs.
TEST(BenchAllCli, PlanCountsRunsAndEstimatesFromTheLastSweep) {
  const auto p = test::make_fake_project("plan-estimate");
  test::FakeSearchPath paths(p);
  const std::vector<std::string> args = {"plan", "--root", p.root, "--suite", "test", "--variants", p.variants_file};
  const ProcessResult first = bench_all(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(has(first.out, "cpu/tiny/fp32,fp32/speed/p16n8/d0  4 runs (1 warm-up)  ~")) << first.out;
  EXPECT_TRUE(has(first.err, "bench-all: variant cpu ~")) << first.err;
  EXPECT_TRUE(has(first.err, "bench-all: model tiny ~")) << first.err;
  EXPECT_TRUE(has(first.err, "bench-all: 6 cells, 15 runs; estimated ")) << first.err;
  EXPECT_TRUE(has(first.err, "0 cells from earlier journals' run times, 6 from a model-size estimate")) << first.err;

  std::FILE* log = std::tmpfile();
  const SweepOptions o = p.options("test-20260101-000000");
  const Results r = run_sweep(o, log).results;
  std::fclose(log);
  write_outputs(r, analyze(r), o.out_dir);
  const ProcessResult second = bench_all(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(has(second.err, "6 cells from earlier journals' run times, 0 from a model-size estimate")) << second.err;
}

TEST(BenchAllCli, ReportCheckCoversTheCsvFilesAndThePlotsData) {
  const std::string dir = test::temp_dir("check-all");
  test::write_file(dir + "/results.json", test::read_file(test::fixture("results-release-small.json")));
  const Results r = load_results(dir + "/results.json");
  write_outputs(r, analyze(r), dir);
  auto check = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"report", "--check", dir + "/results.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return bench_all(args);
  };
  const ProcessResult ok = check();
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(has(ok.out, "match a regeneration")) << ok.out;

  const std::string csv = test::read_file(dir + "/measures.csv");
  test::write_file(dir + "/measures.csv", csv + csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n')));
  const ProcessResult appended = check();
  EXPECT_EQ(appended.exit_code, 1);
  EXPECT_TRUE(has(appended.err, "measures.csv: differs from a regeneration")) << appended.err;
  test::write_file(dir + "/measures.csv", csv);
  fs::remove(dir + "/samples.csv");
  EXPECT_TRUE(has(check().err, "samples.csv: missing"));
  write_outputs(r, analyze(r), dir);

  // The plots' data: plot.py --data recomputes it (no matplotlib needed); a stale plots.json is caught.
  const ProcessResult data = run_process({"/usr/bin/python3", std::string(QUANT_SOURCE_DIR) + "/scripts/plot.py", "--data",
                                          dir + "/results.json"}, {}, 120);
  ASSERT_EQ(data.exit_code, 0) << data.err;
  auto plots = nlohmann::json::parse(data.out);
  ASSERT_FALSE(plots["pareto.png"].is_null()) << data.out;
  test::write_file(dir + "/plots.json", plots.dump(1));
  const ProcessResult no_png = check();
  EXPECT_EQ(no_png.exit_code, 1);
  EXPECT_TRUE(has(no_png.err, "pareto.png: missing (the results have data for it)")) << no_png.err;
  for (const auto& [name, panels] : plots.items())
    if (name.ends_with(".png") && !panels.is_null()) test::write_file(dir + "/" + name, "png stand-in");
  const ProcessResult with_pngs = check();
  EXPECT_EQ(with_pngs.exit_code, 0) << with_pngs.err;
  plots["pareto.png"][0]["points"][0]["delta_pct"] = 123.0;
  test::write_file(dir + "/plots.json", plots.dump(1));
  const ProcessResult stale = check();
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_TRUE(has(stale.err, "plots.json: the data of pareto.png differs from what the results give today")) << stale.err;
  EXPECT_EQ(check({"--no-plots"}).exit_code, 0);
}

TEST(BenchAllCli, ReleasePreviewIsMarkedAndNeverARelease) {
  const std::string root = test::temp_dir("preview");
  const std::string results = root + "/reports/smoke-x/results.json";
  test::write_file(results, test::read_file(test::fixture("results-release-small.json")));
  const ProcessResult made = bench_all({"--root", root, "release-notes", "--preview", results});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string preview = root + "/reports/smoke-x/release-preview.md";
  const std::string text = test::read_file(preview);
  EXPECT_EQ(text.rfind("# quant release tables (preview, not a release)\n", 0), 0u) << text.substr(0, 200);
  int headings = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("#", 0) == 0) {
      ++headings;
      EXPECT_TRUE(line.ends_with("(preview, not a release)")) << line;
    }
  EXPECT_GE(headings, 3);
  EXPECT_TRUE(has(text, "| fp16 / fp16 |")) << "the release tables themselves";
  EXPECT_FALSE(fs::exists(root + "/reports/releases"));

  // Placed among releases, the claims linter refuses it.
  const std::string claims = std::string(QUANT_SOURCE_DIR) + "/claims/claims.json";
  fs::create_directories(root + "/reports/releases");
  fs::copy_file(preview, root + "/reports/releases/0.9.md");
  const ProcessResult lint = bench_all({"claims", "--claims", claims, "--lint", root + "/reports/releases/0.9.md"});
  EXPECT_EQ(lint.exit_code, 1);
  EXPECT_TRUE(has(lint.out, "a preview is not a release")) << lint.out;

  const ProcessResult into_releases =
      bench_all({"release-notes", "--preview", results, "--out", root + "/reports/releases/p.md"});
  EXPECT_EQ(into_releases.exit_code, 2);
  EXPECT_TRUE(has(into_releases.err, "releases/ holds releases only")) << into_releases.err;
  const ProcessResult both = bench_all({"release-notes", "--preview", results, "--version", "1.0"});
  EXPECT_EQ(both.exit_code, 2);
  const ProcessResult neither = bench_all({"--root", root, "release-notes"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_TRUE(has(neither.err, "needs --version X (a release) or --preview RESULTS")) << neither.err;
}

// The README's command, as a shell passes it on a clone without releases: the pattern arrives unexpanded.
TEST(BenchAllCli, ClaimsLintWithAPatternThatMatchesNothing) {
  const std::string claims = std::string(QUANT_SOURCE_DIR) + "/claims/claims.json";
  const std::string dir = test::temp_dir("no-releases");
  test::write_file(dir + "/doc.md", "# A document\n\nIt states no figures.\n");
  const ProcessResult r = bench_all({"claims", "--claims", claims, "--lint", dir + "/doc.md", dir + "/reports/releases/*.md"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "releases/*.md`: no file matches, nothing to lint")) << r.out;
  EXPECT_TRUE(has(r.out, "doc.md`: ok")) << r.out;
  fs::create_directories(dir + "/reports/releases");
  test::write_file(dir + "/reports/releases/0.1.md", "# notes\n");
  const ProcessResult matched = bench_all({"claims", "--claims", claims, "--lint", dir + "/reports/releases/*.md"});
  EXPECT_EQ(matched.exit_code, 1) << "the matching release notes are linted (and lack their results)";
  EXPECT_TRUE(has(matched.out, "0.1.results.json.gz beside it")) << matched.out;
  const ProcessResult missing = bench_all({"claims", "--claims", claims, "--lint", dir + "/nope.md"});
  EXPECT_NE(missing.exit_code, 0) << "a named file that does not exist is still an error";
}

// scripts/release-sweep refuses a version, shard count or suite that would not make a plain folder name,
// before it builds or writes anything (exit 2, one line naming the argument).
TEST(BenchAllCli, ReleaseSweepScriptChecksItsArguments) {
  const std::string script = std::string(QUANT_SOURCE_DIR) + "/scripts/release-sweep";
  const struct { std::vector<std::string> args; const char* says; } cases[] = {
      {{"../x"}, "VERSION '../x' is not a plain name"},
      {{"1.0", "0"}, "N '0' is not a shard count"},
      {{"1.0", "4", "a/b"}, "SUITE 'a/b' is not a plain name"},
      {{}, "usage: scripts/release-sweep"}};
  for (const auto& c : cases) {
    std::vector<std::string> argv = {"/bin/bash", script};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ProcessResult r = run_process(argv, {}, 60);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, c.says)) << r.err;
  }
}

}  // namespace
}  // namespace quant::harness
