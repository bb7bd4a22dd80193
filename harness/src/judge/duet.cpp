#include "harness/judge/duet.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "harness/stats/format.h"
#include "harness/util/progress.h"
#include "harness/measure/quant_run.h"
#include "harness/measure/serve_process.h"
#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Pins every thread of a process to one CPU (the process's threads exist once it has answered "ready").
bool pin_process(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  std::error_code ec;
  bool ok = true;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    ok &= sched_setaffinity(static_cast<pid_t>(std::stol(e.path().filename().string())), sizeof set, &set) == 0;
  return ok && !ec;
}

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// Why a ready line does not describe the cell's configuration ("" when it does).
std::string check_ready(const json& j, const Cell& c, const Variant& v, const Inputs& in, int threads) {
  if (!j.is_object() || j.value("ready", false) != true || j.value("schema", "") != "quant.serve")
    return "the first line is not a quant.serve ready object (does this quant have --serve-bench?)";
  try {
    const std::string used = text_of(j.at("backend").at("used"));
    if (used != v.backend) return "backend.used is '" + used + "' but variant " + v.name + " expects '" + v.backend + "'";
    const std::string k = text_of(j.at("kv").at("k_type")), vt = text_of(j.at("kv").at("v_type"));
    if (k != c.kv.k || vt != c.kv.v)
      return "the cache was built with K " + k + " / V " + vt + ", the cell asked for " + c.kv.k + " / " + c.kv.v;
    if (j.at("config").at("threads") != threads)
      return "quant serves with " + text_of(j.at("config").at("threads")) + " threads, expected " + std::to_string(threads);
    const Resource* model = in.model(c.model);
    const std::string sha = text_of(j.at("model").at("sha256"));
    if (model && sha != model->sha256) return "quant read a model with sha256 " + sha + ", expected " + model->sha256;
  } catch (const json::exception& e) {
    return std::string("the ready line lacks a field: ") + e.what();
  }
  return "";
}

struct Slice {
  std::string measure, command;  // "tg_tok_s", "slice tg 32 0"
};

// One cell measured as a duet: starts both arms, then rounds of slices; fills both arms' runs.
class CellDuet {
 public:
  CellDuet(const PairedOptions& o, const PairedPlan& plan, size_t i, const std::vector<int>& cpus)
      : o_(o), plan_(plan), cell_(plan.run.cells[i]), cpus_(cpus), parallel_(o.method == "duet-parallel") {
    threads_ = parallel_ ? 1 : cell_.threads;
    const int tg = cell_.n_gen > 0 ? (o.slice_tg > 0 ? o.slice_tg : cell_.n_gen) : 0;
    const int pp = cell_.n_prompt > 0 ? (o.slice_pp > 0 ? o.slice_pp : cell_.n_prompt) : 0;
    n_ctx_ = cell_.depth + std::max(tg, pp);
    const std::string d = " " + std::to_string(cell_.depth);
    if (pp > 0) slices_.push_back({"pp_tok_s", "slice pp " + std::to_string(pp) + d});
    if (tg > 0) slices_.push_back({"tg_tok_s", "slice tg " + std::to_string(tg) + d});
  }

  // Returns false when an arm failed (recorded as an error run of that arm).
  bool run(CellResult* out[2], Progress& progress) {
    if (!start(out)) return false;
    const int rounds = cell_.runs();
    // A fresh pair of processes every `segment` rounds: two processes of one build can differ steadily by
    // a percent or two (memory placement), which only more pairs average out.
    const int segment = (rounds + std::max(1, o_.duet_processes) - 1) / std::max(1, o_.duet_processes);
    for (int p = 0; p < rounds; ++p) {
      if (p > 0 && p % segment == 0) {
        for (auto& a : arms_) a->finish(10);
        if (!start(out)) return false;
      }
      RunRecord rec[2];
      for (int a = 0; a < 2; ++a) {
        rec[a].cell = cell_.id;
        rec[a].index = p;
        rec[a].warmup = p < cell_.warmup;
        rec[a].status = "ok";
        rec[a].date = utc_now();
        rec[a].engine = engine_[a];
        rec[a].sample = json::object();
        delay_us_[a] = 0;
      }
      const int first = p % 2;  // A B, B A, A B, ...
      for (const Slice& s : slices_) {
        double tok_s[2] = {0, 0}, seconds[2] = {0, 0};
        if (!slice(s, p, first, tok_s, seconds, out)) return false;
        for (int a = 0; a < 2; ++a) {
          rec[a].sample[s.measure] = json::array({tok_s[a]});
          rec[a].wall_s += seconds[a];
        }
      }
      for (int a = 0; a < 2; ++a) {
        rec[a].sample["test_delay_us"] = delay_us_[a];  // test-only slowdowns: refused as baselines, figures
        out[a]->runs.push_back(rec[a]);
        progress.step(o_.arms[a].name + " " + cell_.id, -1);
      }
    }
    for (auto& a : arms_) a->finish(10);
    return true;
  }

 private:
  bool start(CellResult* out[2]) {
    for (int a = 0; a < 2; ++a) {
      std::map<std::string, std::string> env = plan_.variant.env;
      for (const auto& [k, v] : o_.arms[a].env) env[k] = v;
      try {
        arms_[a] = std::make_unique<ServeProcess>(
            serve_command(cell_, plan_.variant, o_.arms[a].build.binary, plan_.inputs, threads_, n_ctx_), env);
      } catch (const InputError& e) {
        return fail(out, a, e.what());
      }
    }
    for (int a = 0; a < 2; ++a) {
      const std::optional<std::string> line = arms_[a]->read_line(cell_.timeout_s);
      if (!line) return fail(out, a, arms_[a]->why());
      const json ready = json::parse(*line, nullptr, false);
      const std::string bad = check_ready(ready, cell_, plan_.variant, plan_.inputs, threads_);
      if (!bad.empty()) return fail(out, a, bad);
      engine_[a] = engine_sections(ready);
    }
    return true;
  }

  bool slice(const Slice& s, int round, int first, double tok_s[2], double seconds[2], CellResult* out[2]) {
    if (parallel_)  // both at once; each arm's core alternates between rounds
      for (int a = 0; a < 2; ++a)
        if (!pin_process(arms_[a]->pid(), cpus_[static_cast<size_t>((a + round) % 2)]))
          return fail(out, a, "cannot pin the process to CPU " + std::to_string(cpus_[(a + round) % 2]));
    const int order[2] = {first, 1 - first};
    for (int k = 0; k < 2; ++k) {
      const int a = order[k];
      if (!arms_[a]->send(s.command)) return fail(out, a, arms_[a]->why());
      if (!parallel_ && !answer(s, a, tok_s, seconds, out)) return false;
    }
    if (parallel_)
      for (int a : order)
        if (!answer(s, a, tok_s, seconds, out)) return false;
    return true;
  }

  bool answer(const Slice& s, int a, double tok_s[2], double seconds[2], CellResult* out[2]) {
    const std::optional<std::string> line = arms_[a]->read_line(cell_.timeout_s);
    if (!line) return fail(out, a, "'" + s.command + "': " + arms_[a]->why());
    const json r = json::parse(*line, nullptr, false);
    if (!r.is_object() || r.value("ok", false) != true || !r.contains("tok_s") || !r.at("tok_s").is_number())
      return fail(out, a, "'" + s.command + "': " + (r.is_object() && r.contains("error") ? text_of(r.at("error"))
                                                                                          : "unexpected reply " + *line));
    // tg: 1 / the slice's median token time, which a preemption of a few of its tokens leaves alone.
    tok_s[a] = r.contains("median_tok_s") && r.at("median_tok_s").is_number() ? r.at("median_tok_s").get<double>()
                                                                              : r.at("tok_s").get<double>();
    seconds[a] = r.value("seconds", 0.0);
    delay_us_[a] = std::max(delay_us_[a], r.value("test_delay_us", 0.0));
    return true;
  }

  bool fail(CellResult* out[2], int a, const std::string& error) {
    RunRecord r;
    r.cell = cell_.id;
    r.index = static_cast<int>(out[a]->runs.size());
    r.status = "error";
    r.error = o_.arms[a].name + ": " + error;
    r.date = utc_now();
    out[a]->runs.push_back(r);
    return false;
  }

  const PairedOptions& o_;
  const PairedPlan& plan_;
  const Cell& cell_;
  const std::vector<int>& cpus_;
  bool parallel_;
  int threads_ = 1, n_ctx_ = 0;
  std::vector<Slice> slices_;
  std::unique_ptr<ServeProcess> arms_[2];
  json engine_[2];
  double delay_us_[2] = {0, 0};  // largest test-only busy-wait per token of this round's slices
};

}  // namespace

std::string parse_paired_method(const std::string& flag, const std::string& text) {
  if (text == "processes" || text == "duet" || text == "duet-parallel") return text;
  throw InputError(flag + ": unknown method '" + text + "' (valid: processes, duet, duet-parallel)", 2);
}

std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

std::vector<std::string> serve_command(const Cell& c, const Variant& v, const std::string& binary,
                                       const Inputs& inputs, int threads, int n_ctx) {
  const Resource* m = inputs.model(c.model);
  return {binary, m ? m->path : c.model, "--serve-bench", "-c", std::to_string(std::max(1, n_ctx)), "-k", c.kv.k,
          "-v", c.kv.v, "-t", std::to_string(threads), "--backend", v.backend};
}

std::string duet_title(const PairedRun& run) {
  const std::string how = run.method == "duet-parallel"
                              ? "timed slice by slice, both at once on separate cores (one thread each, cores "
                                "swapped every round)"
                              : "timed slice by slice in turn (A B, B A, ...)";
  return "Head `" + run.arms[1].command + "` vs base `" + run.arms[0].command + "`: duet timing, each cell's two "
         "builds loaded once (`quant --serve-bench`) and " + how + "; per-round ratios head / base, median with "
         "bootstrap CI, Wilcoxon signed-rank test on their logarithms.";
}

PairedRun run_duet(const PairedOptions& o, std::FILE* log) {
  PairedPlan plan = plan_paired(o, log);
  PairedRun& run = plan.run;
  std::vector<int> cpus;
  if (o.method == "duet-parallel") {
    cpus = usable_cpus();
    if (cpus.size() < 2)
      throw InputError("--method duet-parallel: needs two CPUs, this process may use " + std::to_string(cpus.size()), 2);
  }
  auto runnable = [&](size_t i) { return run.arms[0].cells[i].status.empty() && run.arms[1].cells[i].status.empty(); };
  int total = 0;
  for (size_t i = 0; i < run.cells.size(); ++i)
    if (runnable(i)) total += 2 * run.cells[i].runs();
  Progress progress(log, o.tty, total, 0);
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < run.cells.size(); ++i) {
    if (!runnable(i)) continue;
    CellResult* out[2] = {&run.arms[0].cells[i], &run.arms[1].cells[i]};
    CellDuet duet(o, plan, i, cpus);
    if (!duet.run(out, progress)) {
      for (auto* c : out)
        if (!c->runs.empty() && !c->runs.back().ok()) progress.note("bench-all: FAILED " + c->runs.back().error);
      progress.drop(2 * run.cells[i].runs() - static_cast<int>(out[0]->runs.size() + out[1]->runs.size()));
    }
  }
  progress.finish();
  return finish_paired(std::move(run), t0);
}

}  // namespace quant::harness
