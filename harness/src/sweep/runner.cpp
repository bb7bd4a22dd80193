#include "harness/sweep/runner.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>

#include "harness/util/folder_lock.h"
#include "harness/plan/inputs.h"
#include "harness/sweep/journal.h"
#include "harness/sweep/measure_once.h"
#include "harness/measure/peer_llamacpp.h"
#include "harness/measure/quant_run.h"
#include "harness/util/progress.h"
#include "harness/plan/suite.h"
#include "harness/sweep/results_header.h"
#include "harness/sweep/run_plan.h"
#include "harness/measure/variant_build.h"
#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

// Writes what `std::ostream` receives to a FILE (the builder and resolver log through streams).
class FileStream : public std::stringbuf {
 public:
  explicit FileStream(std::FILE* f) : f_(f) {}
  int sync() override {
    std::fputs(str().c_str(), f_);
    std::fflush(f_);
    str("");
    return 0;
  }
 private:
  std::FILE* f_;
};

std::string searched_text(const Resource& r) {
  std::string s;
  for (const auto& p : r.searched) s += (s.empty() ? "" : ", ") + p;
  return s;
}

struct Plan {
  VariantSet variants;
  Suite suite;
  Inputs inputs;
  std::vector<Cell> all, mine;
  std::string sha;
};

Plan make_plan(const SweepOptions& o, std::ostream& log, bool generate = true) {
  Plan p{load_variants(o.variants_file), {}, {}, {}, {}, {}};
  p.suite = load_suite(o.suite_file, p.variants);
  for (const auto& [name, path] : o.binaries)
    if (!p.variants.find(name)) throw InputError("--binary " + name + "=" + path + ": unknown variant '" + name + "'", 2);
  p.inputs = resolve_inputs(p.suite, o.root, log, generate);
  p.all = plan_cells(p.suite, p.inputs);
  p.mine = shard_cells(p.all, o.shard);
  p.sha = plan_sha256(p.all, p.suite, p.inputs);
  return p;
}

// The sweep's journal: a new one, or the one --resume continues with the runs it already holds.
struct OpenJournal {
  JournalHeader header;
  std::vector<RunRecord> journaled;
  std::optional<Journal> journal;
  std::string path;
};

// --resume: reopens the journal and takes the sweep's options from its header.
OpenJournal reopen_journal(SweepOptions& o, const std::string& path) {
  OpenJournal j;
  j.path = path;
  j.journal.emplace(Journal::reopen(path, j.header, j.journaled));
  o.root = j.header.root;
  o.suite_file = j.header.suite_file;
  o.variants_file = j.header.variants_file;
  o.shard = j.header.shard;
  o.binaries = j.header.binaries;
  return j;
}

// A resumed sweep must run the plan it started; a new one writes its header.
void start_or_check_journal(OpenJournal& j, const SweepOptions& o, const Plan& plan) {
  if (o.resume) {
    if (j.header.plan_sha256 != plan.sha)
      throw InputError(j.path + ": the suite, its models or texts changed since this sweep started "
                       "(plan " + j.header.plan_sha256.substr(0, 12) + " vs now " + plan.sha.substr(0, 12) +
                       "); start a new sweep instead of --resume");
    return;
  }
  j.header = {fs::path(o.out_dir).filename().string(), utc_now(), o.root, o.suite_file, o.variants_file, plan.sha,
              o.shard, o.binaries, o.command};
  j.journal.emplace(Journal::create(j.path, j.header));
}

// This shard's cells in plan order; cells whose model or text is missing never run.
std::vector<CellResult> planned_cell_results(const Plan& plan) {
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < plan.all.size(); ++i) position[plan.all[i].id] = i;
  std::vector<CellResult> cells;
  for (const auto& c : plan.mine) {
    CellResult cr;
    cr.cell = c;
    cr.plan_index = static_cast<int>(position[c.id]);
    const Resource* m = plan.inputs.model(c.model);
    const Resource* t = c.metric == Metric::ppl ? plan.inputs.text(c.text) : nullptr;
    if (!m->found()) {
      cr.status = "missing";
      cr.reason = "model " + m->name + " not found: " + m->file + " (searched " + searched_text(*m) + ")";
    } else if (t && !t->found()) {
      cr.status = "missing";
      cr.reason = "text " + t->name + " not found: " + t->file + " (searched " + searched_text(*t) + ")";
    }
    cells.push_back(cr);
  }
  return cells;
}

// Builds (or takes) a variant when some runnable cell of this shard needs it.
VariantResult prepare_variant(const Variant& v, const std::vector<CellResult>& cells, const SweepOptions& o,
                              std::ostream& out) {
  VariantResult vr{v, {}};
  vr.build.variant = v.name;
  bool needed = false;
  for (const auto& c : cells) needed |= c.cell.variant == v.name && c.status.empty();
  if (!needed) {
    vr.build.reason = "not needed by this shard";
  } else if (v.is_peer()) {
    vr.build = prepare_llamacpp(v, o.root, o.binaries.count(v.name) ? o.binaries.at(v.name) : "");
  } else if (o.binaries.count(v.name)) {
    vr.build = prebuilt_variant(v, o.binaries.at(v.name));
  } else {
    vr.build = build_variant(v, o.root, o.jobs, out);
    out.flush();
  }
  return vr;
}

// Cells of a variant that did not build, or that its peer engine cannot run, are unsupported.
void mark_unsupported(std::vector<CellResult>& cells, const VariantResult& vr) {
  const Variant& v = vr.variant;
  for (auto& c : cells) {
    if (c.cell.variant != v.name || !c.status.empty()) continue;
    const std::string peer_why = v.is_peer() ? llamacpp_unsupported(c.cell, v) : "";
    if (!vr.build.built || !peer_why.empty()) {
      c.status = "unsupported";
      c.reason = !vr.build.built ? (v.is_peer() ? "unsupported: " : "unsupported: not built: ") + vr.build.reason : peer_why;
    }
  }
}

void prepare_variants(Results& r, const Plan& plan, const SweepOptions& o, std::ostream& out) {
  for (const auto& name : built_variants(plan.suite)) {
    VariantResult vr = prepare_variant(*plan.variants.find(name), r.cells, o, out);
    mark_unsupported(r.cells, vr);
    r.variants.push_back(vr);
  }
  describe_default_variant(r, plan.variants, "not in this suite");
}

// Puts the journal's runs back into their cells, refusing runs out of order.
void replay_journal(Results& r, const OpenJournal& j) {
  std::map<std::string, CellResult*> by_id;
  for (auto& c : r.cells) by_id[c.cell.id] = &c;
  for (const auto& run : j.journaled) {
    auto it = by_id.find(run.cell);
    if (it == by_id.end()) throw InputError(j.path + ": run of unknown cell " + run.cell);
    CellResult& c = *it->second;
    if (run.index != static_cast<int>(c.runs.size()) || run.index >= c.cell.runs())
      throw InputError(j.path + ": run " + std::to_string(run.index) + " of cell " + run.cell +
                       " does not follow its " + std::to_string(c.runs.size()) + " journaled runs (of " +
                       std::to_string(c.cell.runs()) + "); the journal was edited or written by two sweeps");
    c.runs.push_back(run);
  }
}

// Every ok run of a variant must come from the binary of its first ok run.
class SameBinary {
 public:
  void check(const Cell& c, RunRecord& run) {
    if (!run.ok()) return;
    const nlohmann::json& b = run.engine["build"];
    auto [it, fresh] = first_build_.emplace(c.variant, b);
    if (!fresh && (it->second.value("git_commit", "") != b.value("git_commit", "") ||
                   it->second.value("git_dirty", false) != b.value("git_dirty", false))) {
      run.status = "error";
      run.error = "the binary changed during the sweep (commit " + b.value("git_commit", "?").substr(0, 12) +
                  ", earlier runs: " + it->second.value("git_commit", "?").substr(0, 12) + ")";
    }
  }

 private:
  std::map<std::string, nlohmann::json> first_build_;
};

// Time left, from each cell's mean run time so far (the mean of all runs for cells not yet run).
class SweepEta {
 public:
  void add(const std::string& cell, double wall_s) {
    spent_ += wall_s;
    ++measured_;
    auto& [seconds, runs] = per_cell_[cell];
    seconds += wall_s;
    runs += 1;
  }
  double left(const std::vector<CellResult>& cells) const {
    if (measured_ == 0) return -1.0;
    const double mean_all = spent_ / measured_;
    double left = 0;
    for (const auto& c : cells) {
      if (!c.status.empty() || has_failed_run(c)) continue;
      const int rest = c.cell.runs() - static_cast<int>(c.runs.size());
      auto it = per_cell_.find(c.cell.id);
      left += rest * (it != per_cell_.end() ? it->second.first / it->second.second : mean_all);
    }
    return left;
  }

 private:
  double spent_ = 0;
  int measured_ = 0;
  std::map<std::string, std::pair<double, int>> per_cell_;
};

// Runs the round-robin plan; false when max_runs stopped it first.
bool run_rounds(Results& r, const Plan& plan, const SweepOptions& o, Journal& journal, SameBinary& same,
                std::FILE* log) {
  int total = 0, done = 0;
  for (const auto& c : r.cells) {
    if (!c.status.empty()) continue;
    total += c.cell.runs();
    done += static_cast<int>(c.runs.size());
  }
  Progress progress(log, o.tty, total, done);
  SweepEta eta;
  const RunPlan runs = round_robin_plan(r.cells);
  PlanCursor cursor(runs, {&r.cells});
  int executed = 0;
  bool interrupted = false;
  while (const auto due = cursor.next()) {
    if (o.max_runs >= 0 && executed >= o.max_runs) {
      interrupted = true;
      break;
    }
    CellResult& c = cursor.cell_of(*due);
    const VariantResult& vr = *r.variant(c.cell.variant);
    const RunTarget target{*plan.variants.find(c.cell.variant), vr.build.binary, vr.build.build_dir};
    const RunRecord& run = measure_once(target, plan.inputs, due->index, c, [&](RunRecord& rec) {
      same.check(c.cell, rec);
      journal.append(rec);
    });
    ++executed;
    eta.add(c.cell.id, run.wall_s);
    if (!run.ok()) {
      const int skipped = c.cell.runs() - static_cast<int>(c.runs.size());
      const bool limitation = run.error.starts_with("unsupported by ");  // a peer engine's, see settle_status
      progress.note(std::string(limitation ? "bench-all: unsupported " : "bench-all: FAILED ") + c.cell.id + ": " +
                    run.error + (skipped ? " (its " + std::to_string(skipped) + " remaining runs are skipped)" : ""));
      progress.drop(skipped);
    }
    progress.step(c.cell.id, eta.left(r.cells));
  }
  progress.finish();
  return !interrupted;
}

}  // namespace

std::vector<Cell> planned_cells(const SweepOptions& o, std::FILE* log) {
  FileStream buf(log);
  std::ostream out(&buf);
  Plan p = make_plan(o, out, false);  // listing cells generates no model
  out.flush();
  return p.mine;
}

SweepOutcome run_sweep(SweepOptions o, std::FILE* log) {
  FileStream buf(log);
  std::ostream out(&buf);
  const std::string journal_path = (fs::path(o.out_dir) / "journal.jsonl").string();
  auto lock = std::make_shared<FolderLock>(o.out_dir);  // held until the caller has written the outputs
  OpenJournal j = o.resume ? reopen_journal(o, journal_path) : OpenJournal{{}, {}, {}, journal_path};
  const Plan plan = make_plan(o, out);
  out.flush();
  start_or_check_journal(j, o, plan);

  Results r = results_header(plan.suite, o.root, plan.sha, static_cast<int>(plan.all.size()), plan.inputs);
  r.run_id = j.header.run_id;
  r.started = j.header.started;
  r.command = o.resume && !j.header.command.empty() ? j.header.command : o.command;
  r.shard = o.shard.count > 1 ? o.shard.text() : "";
  r.cells = planned_cell_results(plan);
  prepare_variants(r, plan, o, out);
  replay_journal(r, j);
  SameBinary same;
  for (auto& c : r.cells)
    for (auto& run : c.runs) same.check(c.cell, run);

  double earlier_s = 0;  // quant's time in the sessions before a --resume
  for (const auto& run : j.journaled) earlier_s += run.wall_s;
  const auto sweep_start = std::chrono::steady_clock::now();
  const bool interrupted = !run_rounds(r, plan, o, *j.journal, same, log);
  for (auto& c : r.cells) settle_status(c);
  r.finished = utc_now();
  r.wall_s = earlier_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - sweep_start).count();
  return {r, interrupted, lock};
}

}  // namespace quant::harness
