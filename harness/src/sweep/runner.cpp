#include "harness/sweep/runner.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>

#include "harness/util/folder_lock.h"
#include "harness/measure/counts.h"
#include "harness/plan/inputs.h"
#include "harness/sweep/journal.h"
#include "harness/measure/peer_llamacpp.h"
#include "harness/util/process.h"
#include "harness/util/progress.h"
#include "harness/measure/quant_run.h"
#include "harness/plan/suite.h"
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
  JournalHeader header;
  std::vector<RunRecord> journaled;
  std::optional<Journal> journal;
  if (o.resume) {
    journal.emplace(Journal::reopen(journal_path, header, journaled));
    o.root = header.root;
    o.suite_file = header.suite_file;
    o.variants_file = header.variants_file;
    o.shard = header.shard;
    o.binaries = header.binaries;
  }
  Plan plan = make_plan(o, out);
  out.flush();
  const std::string started = o.resume ? header.started : utc_now();
  if (o.resume) {
    if (header.plan_sha256 != plan.sha)
      throw InputError(journal_path + ": the suite, its models or texts changed since this sweep started "
                       "(plan " + header.plan_sha256.substr(0, 12) + " vs now " + plan.sha.substr(0, 12) +
                       "); start a new sweep instead of --resume");
  } else {
    header = {fs::path(o.out_dir).filename().string(), started, o.root, o.suite_file, o.variants_file, plan.sha,
              o.shard, o.binaries, o.command};
    journal.emplace(Journal::create(journal_path, header));
  }

  Results r;
  r.run_id = header.run_id;
  r.started = started;
  r.command = o.resume && !header.command.empty() ? header.command : o.command;
  r.suite_name = plan.suite.name;
  r.suite_file = fs::path(plan.suite.file).lexically_proximate(o.root).string();
  r.suite_sha256 = plan.suite.sha256;
  r.suite_description = plan.suite.description;
  r.plan_sha256 = plan.sha;
  r.plan_cells = static_cast<int>(plan.all.size());
  r.shard = o.shard.count > 1 ? o.shard.text() : "";
  r.harness = harness_build_info();
  r.system = system_info();
  r.inputs = plan.inputs;

  // Cells whose model or text is missing never run.
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < plan.all.size(); ++i) position[plan.all[i].id] = i;
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
    r.cells.push_back(cr);
  }

  // Build (or take) each variant some runnable cell of this shard needs.
  for (const auto& name : built_variants(plan.suite)) {
    const Variant& v = *plan.variants.find(name);
    VariantResult vr{v, {}};
    vr.build.variant = name;
    bool needed = false;
    for (const auto& c : r.cells) needed |= c.cell.variant == name && c.status.empty();
    if (!needed) {
      vr.build.reason = "not needed by this shard";
    } else if (v.is_peer()) {
      vr.build = prepare_llamacpp(v, o.root, o.binaries.count(name) ? o.binaries.at(name) : "");
    } else if (o.binaries.count(name)) {
      vr.build = prebuilt_variant(v, o.binaries.at(name));
    } else {
      vr.build = build_variant(v, o.root, o.jobs, out);
      out.flush();
    }
    for (auto& c : r.cells) {
      if (c.cell.variant != name || !c.status.empty()) continue;
      const std::string peer_why = v.is_peer() ? llamacpp_unsupported(c.cell, v) : "";
      if (!vr.build.built || !peer_why.empty()) {
        c.status = "unsupported";
        c.reason = !vr.build.built ? (v.is_peer() ? "unsupported: " : "unsupported: not built: ") + vr.build.reason : peer_why;
      }
    }
    r.variants.push_back(vr);
  }
  // The default variant is always described, even when the suite does not use it (reports compare to it).
  const Variant& def = plan.variants.default_variant();
  if (!r.variant(def.name)) {
    VariantResult vr{def, {}};
    vr.build.variant = def.name;
    vr.build.reason = "not in this suite";
    r.variants.insert(r.variants.begin(), vr);
  }

  // Runs already in the journal.
  std::map<std::string, CellResult*> by_id;
  for (auto& c : r.cells) by_id[c.cell.id] = &c;
  for (auto& run : journaled) {
    auto it = by_id.find(run.cell);
    if (it == by_id.end()) throw InputError(journal_path + ": run of unknown cell " + run.cell);
    CellResult& c = *it->second;
    if (run.index != static_cast<int>(c.runs.size()) || run.index >= c.cell.runs())
      throw InputError(journal_path + ": run " + std::to_string(run.index) + " of cell " + run.cell +
                       " does not follow its " + std::to_string(c.runs.size()) + " journaled runs (of " +
                       std::to_string(c.cell.runs()) + "); the journal was edited or written by two sweeps");
    c.runs.push_back(run);
  }

  // First ok run of each variant: later runs must come from the same binary.
  std::map<std::string, nlohmann::json> first_build;
  auto check_binary = [&](const Cell& c, RunRecord& run) {
    if (!run.ok()) return;
    const nlohmann::json& b = run.engine["build"];
    auto [it, fresh] = first_build.emplace(c.variant, b);
    if (!fresh && (it->second.value("git_commit", "") != b.value("git_commit", "") ||
                   it->second.value("git_dirty", false) != b.value("git_dirty", false))) {
      run.status = "error";
      run.error = "the binary changed during the sweep (commit " + b.value("git_commit", "?").substr(0, 12) +
                  ", earlier runs: " + it->second.value("git_commit", "?").substr(0, 12) + ")";
    }
  };
  for (auto& c : r.cells)
    for (auto& run : c.runs) check_binary(c.cell, run);

  auto failed = [](const CellResult& c) {
    for (const auto& run : c.runs)
      if (!run.ok()) return true;
    return false;
  };
  int total = 0, done = 0, max_runs_index = 0;
  for (const auto& c : r.cells) {
    if (!c.status.empty()) continue;
    total += c.cell.runs();
    done += static_cast<int>(c.runs.size());
    max_runs_index = std::max(max_runs_index, c.cell.runs());
  }

  Progress progress(log, o.tty, total, done);
  double spent = 0, earlier_s = 0;  // earlier_s: quant's time in the sessions before a --resume
  for (const auto& run : journaled) earlier_s += run.wall_s;
  int measured = 0, executed = 0;
  std::map<std::string, std::pair<double, int>> cell_time;
  auto eta = [&](const std::vector<CellResult>& cells) {
    if (measured == 0) return -1.0;
    const double mean_all = spent / measured;
    double left = 0;
    for (const auto& c : cells) {
      if (!c.status.empty() || failed(c)) continue;
      const int rest = c.cell.runs() - static_cast<int>(c.runs.size());
      auto it = cell_time.find(c.cell.id);
      left += rest * (it != cell_time.end() ? it->second.first / it->second.second : mean_all);
    }
    return left;
  };
  bool interrupted = false;
  const auto sweep_start = std::chrono::steady_clock::now();
  for (int round = 0; round < max_runs_index && !interrupted; ++round) {
    for (auto& c : r.cells) {
      if (!c.status.empty() || failed(c) || static_cast<int>(c.runs.size()) != round || round >= c.cell.runs()) continue;
      if (o.max_runs >= 0 && executed >= o.max_runs) {
        interrupted = true;
        break;
      }
      const Variant& v = *plan.variants.find(c.cell.variant);
      const std::string binary = r.variant(v.name)->build.binary;
      const std::string date = utc_now();
      RunRecord run;
      if (c.cell.metric == Metric::counts) {
        run = run_count(c.cell, round, v, binary, plan.inputs, date);
      } else {
        const auto argv = v.is_peer() ? llamacpp_command(c.cell, v, r.variant(v.name)->build.build_dir, plan.inputs)
                                      : quant_command(c.cell, v, binary, plan.inputs);
        const ProcessResult p =
            v.is_peer() ? run_llamacpp(argv, c.cell.timeout_s) : run_process(argv, v.env, c.cell.timeout_s);
        run = v.is_peer() ? interpret_llamacpp_run(c.cell, round, v, plan.inputs, argv, p, date)
                          : interpret_run(c.cell, round, v, plan.inputs, p, date);
      }
      check_binary(c.cell, run);
      journal->append(run);
      c.runs.push_back(run);
      ++executed;
      spent += run.wall_s;
      ++measured;
      auto& ct = cell_time[c.cell.id];
      ct.first += run.wall_s;
      ct.second += 1;
      if (!run.ok()) {
        const int skipped = c.cell.runs() - static_cast<int>(c.runs.size());
        const bool limitation = run.error.starts_with("unsupported by ");  // a peer engine's, see settle_status
        progress.note(std::string(limitation ? "bench-all: unsupported " : "bench-all: FAILED ") + c.cell.id + ": " + run.error +
                      (skipped ? " (its " + std::to_string(skipped) + " remaining runs are skipped)" : ""));
        progress.drop(skipped);
      }
      progress.step(c.cell.id, eta(r.cells));
    }
  }
  progress.finish();
  for (auto& c : r.cells) settle_status(c);
  r.finished = utc_now();
  r.wall_s = earlier_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - sweep_start).count();
  return {r, interrupted, lock};
}

}  // namespace quant::harness
