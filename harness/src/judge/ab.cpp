#include "harness/judge/ab.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/judge/duet.h"
#include "harness/stats/format.h"
#include "harness/plan/inputs.h"
#include "harness/util/process.h"
#include "harness/util/progress.h"
#include "harness/measure/quant_run.h"
#include "harness/plan/suite.h"
#include "harness/sweep/measure_once.h"
#include "harness/sweep/results_header.h"
#include "harness/sweep/run_plan.h"
#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

// One arm's results before anything is measured: the header, the variant (and the default one, which reports
// compare to), every cell planned with missing models and an unbuilt arm already marked.
Results arm_results(const PairedOptions& o, int a, const Suite& suite, const PairedPlan& plan,
                    const std::string& started) {
  const std::vector<Cell>& cells = plan.run.cells;
  Results r = results_header(suite, o.root, plan_sha256(cells, suite, plan.inputs), static_cast<int>(cells.size()),
                             plan.inputs);
  r.run_id = o.arms[a].name;
  r.started = started;
  r.command = "bench-all ab " + (o.method == "processes" ? "" : "--method " + o.method + " ") + "(" + o.arms[a].name +
              ": " + o.arms[a].revision + ")";
  r.variants.push_back({plan.variant, o.arms[a].build});
  describe_default_variant(r, plan.variants, "not in this A/B run");
  for (size_t i = 0; i < cells.size(); ++i) {
    CellResult c;
    c.cell = cells[i];
    c.plan_index = static_cast<int>(i);
    const Resource* m = plan.inputs.model(c.cell.model);
    if (!m || !m->found()) {
      c.status = "missing";
      c.reason = "model " + c.cell.model + " not found";
    } else if (!o.arms[a].build.built) {
      c.status = "unsupported";
      c.reason = "unsupported: not built: " + o.arms[a].build.reason;
    }
    r.cells.push_back(c);
  }
  return r;
}

}  // namespace

std::vector<double> pair_ratios(const CellResult& base, const CellResult& head, const std::string& measure) {
  std::map<int, double> b;
  for (const auto& [i, x] : run_values(base, measure)) b[i] = x;
  std::vector<double> out;
  for (const auto& [i, x] : run_values(head, measure))
    if (b.count(i)) out.push_back(x / b[i]);
  return out;
}

PairedPlan plan_paired(const PairedOptions& o, std::FILE* log) {
  PairedPlan plan;
  plan.variants = load_variants(o.variants_file);
  const VariantSet& variants = plan.variants;
  const Suite suite = load_suite(o.suite_file, variants);
  const Variant& v = o.variant.empty() ? variants.default_variant() : [&]() -> const Variant& {
    const Variant* x = variants.find(o.variant);
    if (!x) throw InputError("--variant: unknown variant '" + o.variant + "' (not in " + variants.file + ")", 2);
    return *x;
  }();
  if (!suite.speed) throw InputError(suite.file + ": suite " + suite.name + " measures no speed; A/B runs compare tok/s");
  plan.variant = v;
  std::ostringstream resolve_log;
  plan.inputs = resolve_inputs(suite, o.root, resolve_log);
  const Inputs& inputs = plan.inputs;
  std::fputs(resolve_log.str().c_str(), log);
  const std::vector<Cell> all = plan_cells(suite, inputs);

  PairedRun& run = plan.run;
  run.method = o.method;
  for (const auto& c : all) {  // one cell per model, KV pair and depth, measured on the chosen variant
    if (c.metric != Metric::speed || c.variant != suite.variants.front()) continue;
    Cell x = c;
    x.variant = v.name;
    x.reps = o.pairs;
    x.warmup = o.warmup;
    x.id = cell_id(x);
    run.cells.push_back(x);
  }
  if (run.cells.empty()) throw InputError(suite.file + ": no speed cells to compare");

  const std::string started = utc_now();
  for (int a = 0; a < 2; ++a) run.arms[a] = arm_results(o, a, suite, plan, started);
  return plan;
}

PairedRun run_paired(const PairedOptions& o, std::FILE* log) {
  if (o.method != "processes") return run_duet(o, log);
  PairedPlan plan = plan_paired(o, log);
  PairedRun& run = plan.run;
  int total = 0;
  for (size_t i = 0; i < run.cells.size(); ++i)
    if (run.arms[0].cells[i].status.empty() && run.arms[1].cells[i].status.empty()) total += 2 * run.cells[i].runs();
  Progress progress(log, o.tty, total, 0);
  const auto t0 = std::chrono::steady_clock::now();
  RunTarget targets[2] = {{plan.variant, o.arms[0].build.binary, ""}, {plan.variant, o.arms[1].build.binary, ""}};
  for (int a = 0; a < 2; ++a)
    for (const auto& [k, val] : o.arms[a].env) targets[a].variant.env[k] = val;
  double spent = 0;
  int done = 0;
  const RunPlan runs = paired_plan(run.arms[0].cells);
  PlanCursor cursor(runs, {&run.arms[0].cells, &run.arms[1].cells});
  while (const auto due = cursor.next()) {
    const ArmSpec& arm = o.arms[due->arm];
    const Cell& cell = run.cells[due->cell];
    const RunRecord& rec = measure_once(targets[due->arm], plan.inputs, due->index, cursor.cell_of(*due));
    spent += rec.wall_s;
    ++done;
    if (!rec.ok()) {
      // This pair's other run and the cell's later pairs will not happen.
      progress.note("bench-all: FAILED " + arm.name + " " + cell.id + ": " + rec.error);
      progress.drop(2 * (cell.runs() - due->index) - 1);
      continue;
    }
    progress.step(arm.name + " " + cell.id, total > done ? spent / done * (total - done) : 0);
  }
  progress.finish();
  return finish_paired(std::move(run), t0);
}

PairedRun finish_paired(PairedRun run, std::chrono::steady_clock::time_point started) {
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (auto& r : run.arms) {
    for (auto& c : r.cells) settle_status(c);
    r.finished = utc_now();
    r.wall_s = wall;
  }
  return run;
}

GateReport ab_report(const PairedRun& run, const Thresholds& t) {
  GateReport g;
  g.command = "ab";
  g.thresholds = t;
  const Results& base = run.arms[0];
  const Results& head = run.arms[1];
  const bool duet = run.method != "processes";
  g.title = duet ? duet_title(run)
                 : "Head `" + head.command + "` vs base `" + base.command + "`: per-pair ratios head / base of runs "
                   "made back to back (A B, B A, ...), Wilcoxon signed-rank test on their logarithms.";
  for (size_t i = 0; i < run.cells.size(); ++i) {
    const CellResult& b = base.cells[i];
    const CellResult& h = head.cells[i];
    const std::string& id = run.cells[i].id;
    if (!b.ok() || !h.ok()) {
      const bool absent = b.status == "missing" || b.status == "unsupported" || h.status == "missing" ||
                          h.status == "unsupported";
      Check c{run.cells[i].variant, id, "", "status", b.status, h.status, false, {}, 0, {}, false};
      const std::string why = "base: " + b.status + (b.reason.empty() ? "" : " (" + b.reason + ")") + "; head: " +
                              h.status + (h.reason.empty() ? "" : " (" + h.reason + ")");
      c.decision = {!absent && b.ok() ? Verdict::regression : Verdict::inconclusive, why};
      g.checks.push_back(c);
      continue;
    }
    for (const auto& m : measures_of(run.cells[i])) {
      const std::vector<double> ratios = pair_ratios(b, h, m);
      BootstrapOptions bo;
      bo.level = t.ci_level;
      bo.seed = derive_seed(1, "ab|" + id + "|" + m);
      const double threshold = duet ? t.of(m).duet : t.of(m).ab;
      Check c{run.cells[i].variant, id, m, duet ? "duet" : "paired", "", "", true, paired_evidence(ratios, bo), threshold,
              {}, false};
      const auto bv = run_values(b, m), hv = run_values(h, m);
      auto med = [](const std::vector<std::pair<int, double>>& v) {
        std::vector<double> x;
        for (const auto& [k, y] : v) x.push_back(y);
        return x.empty() ? std::string("—") : fmt_rate(median(x)) + " tok/s";
      };
      c.baseline = med(bv);
      c.current = med(hv);
      c.decision = decide_timing(c.evidence, t.alpha, c.threshold);
      g.checks.push_back(c);
    }
  }
  return g;
}

std::string resolve_revision(const std::string& root, const std::string& rev) {
  const ProcessResult p = run_process({"git", "-C", root, "rev-parse", "--verify", "--quiet", rev + "^{commit}"}, {}, 60);
  if (!p.started || p.exit_code != 0 || p.out.size() < 40)
    throw InputError("revision '" + rev + "' is not a commit of the repository at " + root, 2);
  return p.out.substr(0, 40);
}

VariantBuild build_revision(const std::string& root, const std::string& commit, const Variant& v, int jobs,
                            std::ostream& log) {
  const fs::path tree = fs::path(root) / ".cache" / "ab" / commit.substr(0, 12);
  std::error_code ec;
  if (fs::exists(tree / ".git", ec)) {
    const ProcessResult head = run_process({"git", "-C", tree.string(), "rev-parse", "HEAD"}, {}, 60);
    if (head.exit_code != 0 || head.out.substr(0, 40) != commit)
      throw InputError(tree.string() + ": a worktree of another commit; remove it (git worktree remove --force " +
                       tree.string() + ")");
  } else {
    fs::create_directories(tree.parent_path());
    const ProcessResult add =
        run_process({"git", "-C", root, "worktree", "add", "--detach", "--force", tree.string(), commit}, {}, 300);
    if (add.exit_code != 0)
      throw InputError("git worktree add " + tree.string() + " " + commit.substr(0, 12) + " failed: " +
                       tail_lines(add.err, 2, 400));
  }
  log << "bench-all: revision " << commit.substr(0, 12) << " checked out in " << tree.string() << "\n";
  return build_variant(v, tree.string(), jobs, log);
}

}  // namespace quant::harness
