#include "history_commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "harness/stats/analysis.h"
#include "harness/stats/format.h"
#include "harness/history/history_changes.h"
#include "harness/history/history_html.h"
#include "harness/history/history_store.h"
#include "harness/claims/claims.h"
#include "harness/util/json_check.h"
#include "harness/judge/methodology.h"
#include "harness/util/paths.h"
#include "harness/report/pr_comment.h"
#include "harness/util/process.h"
#include "quant/error.h"

namespace quant::harness::cli {

namespace fs = std::filesystem;

struct HistoryCommands {
  CLI::App *add = nullptr, *import = nullptr, *show = nullptr, *changes = nullptr, *html = nullptr, *pr = nullptr;
  std::string verdict, pr_results, claims, report_url, head, pr_out;
  std::string db, commit_time, cell = "*", measure, since, out, commit_url;
  std::vector<std::string> results;
  std::string dir;
  double alpha = 0.01;
  int permutations = 199;
};

namespace {

// The commit's committer time: --commit-time, else provenance.harness.commit_time, else git in the root.
int64_t commit_time_of(const Results& r, const std::string& file, const std::string& root, const std::string& given) {
  if (!given.empty()) {
    const int64_t t = parse_utc_time(given);
    if (t < 0) throw InputError("--commit-time: '" + given + "' is not YYYY-MM-DDTHH:MM:SSZ or seconds since 1970", 2);
    return t;
  }
  if (r.harness.contains("commit_time") && r.harness["commit_time"].is_string()) {
    const int64_t t = parse_utc_time(r.harness["commit_time"].get<std::string>());
    if (t < 0) throw InputError(file + ": provenance.harness.commit_time is not YYYY-MM-DDTHH:MM:SSZ");
    return t;
  }
  const std::string commit = r.harness.value("git_commit", "");
  const ProcessResult p = run_process({"git", "-C", root, "log", "-1", "--format=%ct", commit, "--"}, {}, 30);
  const std::string out = p.out.substr(0, p.out.find('\n'));
  if (p.started && p.exit_code == 0 && parse_utc_time(out) >= 0) return parse_utc_time(out);
  throw InputError(file + ": commit " + commit + " is not in the repository at " + root +
                   ", so its time is unknown: pass --commit-time");
}

std::string db_path(const HistoryCommands& h, const std::string& root) {
  return h.db.empty() ? default_history_path(root) : h.db;
}

void add_one(HistoryStore& store, const Results& r, const std::string& file, int64_t t) {
  const auto added = store.add(r, analyze(r), t, file);
  if (added.added)
    std::printf("history: added %s (commit %s, %s, suite %s): %d points\n", file.c_str(),
                short_sha(r.harness.value("git_commit", "")).c_str(), utc_time_text(t).c_str(), r.suite_name.c_str(),
                added.points);
  else
    std::printf("history: %s is already stored (run %s): nothing changed\n", file.c_str(), r.run_id.c_str());
}

int cmd_add(const HistoryCommands& h, const std::string& root) {
  // Every file is read and checked before anything is written: a bad one leaves the store as it was.
  std::vector<std::pair<Results, int64_t>> todo;
  for (const auto& f : h.results) {
    Results r = load_results(f);
    check_addable(r, f);
    const int64_t t = commit_time_of(r, f, root, h.commit_time);
    todo.emplace_back(std::move(r), t);
  }
  HistoryStore store(db_path(h, root));
  for (size_t i = 0; i < todo.size(); ++i) add_one(store, todo[i].first, h.results[i], todo[i].second);
  return 0;
}

int cmd_import(const HistoryCommands& h, const std::string& root) {
  if (!fs::is_directory(h.dir)) throw InputError(h.dir + ": not a folder", 2);
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(h.dir))
    if (e.is_regular_file() && e.path().filename() == "results.json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<std::tuple<std::string, Results, int64_t>> todo;
  for (const auto& f : files) {
    Results r = load_results(f);
    if (!r.shard.empty() || r.harness.value("git_dirty", false)) {  // the merge of shards is what counts
      std::printf("history: skipped %s: %s\n", f.c_str(),
                  r.shard.empty() ? "measured from a dirty tree" : ("shard " + r.shard + " of a sweep").c_str());
      continue;
    }
    check_addable(r, f);
    const int64_t t = commit_time_of(r, f, root, "");
    todo.emplace_back(f, std::move(r), t);
  }
  HistoryStore store(db_path(h, root));
  for (const auto& [f, r, t] : todo) add_one(store, r, f, t);
  std::printf("history: %zu results files under %s, %zu sweeps in %s\n", files.size(), h.dir.c_str(),
              store.sweeps().size(), store.path().c_str());
  return 0;
}

int cmd_show(const HistoryCommands& h, const std::string& root) {
  const std::string path = db_path(h, root);
  if (!fs::exists(path)) throw InputError(path + ": no history store (bench-all history add RESULTS creates it)");
  HistoryStore store(path);
  const auto all = store.series(h.cell, h.measure);
  if (all.empty()) {
    std::printf("history: no series matches --cell '%s'%s\n", h.cell.c_str(),
                h.measure.empty() ? "" : (" --measure " + h.measure).c_str());
    return 0;
  }
  for (const auto& s : all) {
    std::printf("%s %s (variant %s, suite %s, machine %s): %zu commits\n", s.cell.c_str(), s.measure.c_str(),
                s.variant.c_str(), s.suite.c_str(), s.machine.c_str(), s.points.size());
    std::printf("  %-12s  %-20s  %12s  %-27s  %4s  %s\n", "commit", "committed", "value", "95% interval", "n", "run");
    for (const auto& p : s.points) {
      const std::string iv = p.has_interval ? "[" + fmt("%.6g", p.lo) + ", " + fmt("%.6g", p.hi) + "]" : "-";
      std::printf("  %-12s  %-20s  %12s  %-27s  %4d  %s\n", short_sha(p.commit).c_str(), utc_time_text(p.commit_time).c_str(),
                  fmt("%.6g", p.value).c_str(), iv.c_str(), p.n, p.run_id.c_str());
    }
  }
  return 0;
}

ChangePointOptions options(const HistoryCommands& h) {
  ChangePointOptions o;
  o.alpha = h.alpha;
  o.permutations = h.permutations;
  return o;
}

int cmd_changes(const HistoryCommands& h, const std::string& root) {
  const std::string path = db_path(h, root);
  if (!fs::exists(path)) throw InputError(path + ": no history store (bench-all history add RESULTS creates it)");
  HistoryStore store(path);
  int64_t since = -1;
  if (!h.since.empty()) {
    for (const auto& s : store.sweeps())
      if (s.commit.rfind(h.since, 0) == 0) since = std::max(since, s.commit_time);
    if (since < 0) throw InputError("--since: commit '" + h.since + "' is not in " + path, 2);
  }
  const auto series = store.series(h.cell, h.measure);
  const auto changes = history_changes(series, options(h));
  std::fputs(render_changes(changes).c_str(), stdout);
  int newer = 0;
  for (const auto& c : changes) newer += c.regression && c.time > since;
  if (newer)
    std::printf("history: %d regression(s) %s\n", newer,
                since < 0 ? "in the history" : ("newer than " + h.since).c_str());
  return newer ? 1 : 0;
}

int cmd_html(const HistoryCommands& h, const std::string& root) {
  const std::string path = db_path(h, root);
  if (!fs::exists(path)) throw InputError(path + ": no history store (bench-all history add RESULTS creates it)");
  HistoryStore store(path);
  const auto series = store.series("*", "");
  const auto changes = history_changes(series, options(h));
  for (const auto& f : write_history_pages(series, changes, h.out, h.commit_url))
    std::printf("history: wrote %s\n", f.c_str());
  return 0;
}

// Claims of claims.json that fail against the run, and broken methodology rules (as claims.md lists them).
std::vector<FailingClaim> failing_claims(const HistoryCommands& h, const std::string& root) {
  std::vector<FailingClaim> out;
  if (h.pr_results.empty()) return out;
  const Results r = load_results(h.pr_results);
  for (const auto& v : check_methodology(r)) out.push_back({"rule " + v.rule, v.message, {}});
  const ClaimsFile claims = load_claims(h.claims.empty() ? claims_path(root) : h.claims);
  for (const auto& cl : claims.claims) {
    const ClaimOutcome o = evaluate_claim(cl, r);
    bool absent = true;
    for (const auto& ch : o.checks) absent &= ch.absent;
    if (!absent && !o.pass) out.push_back({cl.id, cl.text, o.reasons});
  }
  return out;
}

int cmd_pr_comment(const HistoryCommands& h, const std::string& root) {
  const nlohmann::json verdict = read_json_file(h.verdict);
  PrCommentOptions o;
  o.report_url = h.report_url;
  o.head = h.head;
  const std::string md = render_pr_comment(verdict, h.verdict, failing_claims(h, root), o);
  if (h.pr_out.empty()) std::fputs(md.c_str(), stdout);
  else write_text_file(h.pr_out, md);
  return 0;
}

void db_option(CLI::App* c, HistoryCommands& h) {
  c->add_option("--db", h.db, "history file (default: .cache/history.sqlite under the project root)");
}

void series_options(CLI::App* c, HistoryCommands& h) {
  c->add_option("--cell", h.cell, "cell id pattern (SQLite GLOB; without * ? [ it matches anywhere in the id)");
  c->add_option("--measure", h.measure, "measure: pp_tok_s, tg_tok_s, ppl, ppl_delta, kld, top1");
}

void detector_options(CLI::App* c, HistoryCommands& h) {
  c->add_option("--alpha", h.alpha, "significance of a change point (permutation test)")->check(CLI::Range(0.0001, 0.5));
  c->add_option("--permutations", h.permutations, "permutations per test")->check(CLI::Range(19, 100000));
}

}  // namespace

std::shared_ptr<HistoryCommands> add_history_commands(CLI::App& app) {
  auto h = std::make_shared<HistoryCommands>();
  CLI::App* hist = app.add_subcommand("history", "results across commits: add, import, show, changes, html");
  hist->require_subcommand(1);
  h->add = hist->add_subcommand("add", "add sweeps (results.json of a commit) to the history store");
  h->add->add_option("results", h->results, "results.json files")->required();
  h->add->add_option("--commit-time", h->commit_time, "committer time (default: from git in the project root)");
  h->import = hist->add_subcommand("import", "add every results.json under a folder (shards and dirty trees skipped)");
  h->import->add_option("dir", h->dir, "folder, e.g. unpacked CI artifacts")->required();
  h->show = hist->add_subcommand("show", "print series: one line per commit");
  series_options(h->show, *h);
  h->changes = hist->add_subcommand("changes", "change points, newest first; exit 1 on a regression newer than --since");
  series_options(h->changes, *h);
  detector_options(h->changes, *h);
  h->changes->add_option("--since", h->since, "only regressions after this commit fail (default: any regression)");
  h->html = hist->add_subcommand("html", "write a static dashboard: one page per suite, each cell's trend");
  h->html->add_option("--out", h->out, "output folder")->required();
  h->html->add_option("--commit-url", h->commit_url, "link prefix for commits, e.g. https://github.com/o/r/commit/");
  detector_options(h->html, *h);
  h->pr = app.add_subcommand("pr-comment", "the short pull-request answer (Markdown) from verdict.json and the claims");
  h->pr->add_option("--verdict", h->verdict, "verdict.json of bench-all compare or ab")->required();
  h->pr->add_option("--results", h->pr_results, "results.json the claims are checked against (default: no claims)");
  h->pr->add_option("--claims", h->claims, "claims file (default: claims/claims.json)");
  h->pr->add_option("--report-url", h->report_url, "link to the full report (e.g. the workflow run)");
  h->pr->add_option("--head", h->head, "the commit measured (shown in the title)");
  h->pr->add_option("--out", h->pr_out, "write the comment here (default: stdout)");
  for (CLI::App* c : {h->add, h->import, h->show, h->changes, h->html}) db_option(c, *h);
  return h;
}

int run_history_command(const HistoryCommands& h, const Common& c) {
  const bool any = *h.add || *h.import || *h.show || *h.changes || *h.html || *h.pr;
  if (!any) return -1;
  const std::string root = project_root(c.root);
  if (*h.pr) return cmd_pr_comment(h, root);
  if (*h.add) return cmd_add(h, root);
  if (*h.import) return cmd_import(h, root);
  if (*h.show) return cmd_show(h, root);
  if (*h.changes) return cmd_changes(h, root);
  return cmd_html(h, root);
}

}  // namespace quant::harness::cli
