#include "harness/judge/methodology.h"

#include <map>
#include <set>

#include "harness/measure/sample.h"
#include "harness/store/baseline.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

namespace {

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// Collects offending cells per message and reports each message once, with a count and examples.
class Findings {
 public:
  void add(const std::string& rule, const std::string& what, const std::string& cell) {
    auto& e = by_key_[{rule, what}];
    if (e.empty()) order_.push_back({rule, what});
    e.push_back(cell);
  }
  std::vector<RuleViolation> list() const {
    std::vector<RuleViolation> out;
    for (const auto& k : order_) {
      const auto& cells = by_key_.at(k);
      std::string m = k.second;
      if (!cells.empty() && !cells[0].empty()) {
        m += " (" + std::to_string(cells.size()) + " cell" + (cells.size() == 1 ? "" : "s") + ", e.g. " + cells[0];
        if (cells.size() > 1) m += ", " + cells[1];
        m += ")";
      }
      out.push_back({k.first, m});
    }
    return out;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_key_;
  std::vector<std::pair<std::string, std::string>> order_;
};

// Timed values of one measure over the cell's measured runs, and how many runs gave any.
int count_samples(const CellResult& c, Measure measure, int& runs) {
  int n = 0;
  runs = 0;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup) {
      const size_t k = sample_values(sample_of(r), measure).size();
      n += static_cast<int>(k);
      runs += k > 0;
    }
  return n;
}

int tokens_in_cache(const RunRecord& run) { return static_cast<int>(sample_of(run).max_tokens_in_cache.value_or(0)); }

std::string build_key(const json& engine) {
  const json b = engine.value("build", json::object());
  return b.value("git_commit", "?") + (b.value("git_dirty", false) ? "+dirty" : "") + " " + b.value("build_type", "?") +
         " `" + b.value("cxx_flags", "") + "` " + b.value("cmake_options", json::object()).dump();
}

// What every rule reads, and the findings it adds to.
struct Rules {
  const Results& r;
  const MethodologyLimits& lim;
  Findings& f;
  std::string def;  // the default variant
  // The rules are about quant's figures; a peer engine's cells are checked when they run (peer_llamacpp.h).
  bool peer(const CellResult& c) const {
    const VariantResult* v = r.variant(c.cell.variant);
    return v && v->variant.is_peer();
  }
};

// default-variant: what users get is the CPU-only Release build.
void default_variant_build(const Rules& x) {
  const Variant& v = x.r.default_variant().variant;
  auto it = v.cmake_options.find("ENGINE_VULKAN");
  if (v.backend != "cpu" || v.build_type != "Release" || (it != v.cmake_options.end() && it->second != "OFF"))
    x.f.add("default-variant", "the default variant `" + x.def + "` is not the CPU-only Release build users get (backend " +
                                   v.backend + ", " + v.build_type +
                                   (it != v.cmake_options.end() ? ", ENGINE_VULKAN=" + it->second : "") + ")",
            "");
}

// default-variant, per cell: its figures come from a CPU-only binary that ran on the CPU.
void default_variant_cell(const Rules& x, const CellResult& c) {
  if (c.cell.variant != x.def) return;
  const json opts = c.engine.value("build", json::object()).value("cmake_options", json::object());
  const std::string used = c.engine.value("backend", json::object()).value("used", "?");
  if (opts.contains("ENGINE_VULKAN") && text_of(opts.at("ENGINE_VULKAN")) != "OFF")
    x.f.add("default-variant", "figures of the default variant `" + x.def +
                                   "` (presented as what users get) come from a binary built with ENGINE_VULKAN=" +
                                   text_of(opts.at("ENGINE_VULKAN")) + " (an accelerator build users do not get)",
            c.cell.id);
  if (used != "cpu")
    x.f.add("default-variant", "figures of the default variant `" + x.def + "` ran on backend " + used + ", not cpu",
            c.cell.id);
}

void release_build(const Rules& x, const CellResult& c) {
  const std::string bt = c.engine.value("build", json::object()).value("build_type", "?");
  if (bt != "Release") x.f.add("release-build", "figures from a " + bt + " build, not Release", c.cell.id);
}

void no_test_delay(const Rules& x, const CellResult& c) {
  for (const auto& run : c.runs)
    if (test_delay_us(run) > 0) {
      x.f.add("no-test-delay", "measured with the test-only slowdown QUANT_TEST_DELAY_US", c.cell.id);
      return;
    } else if (test_extra_work(run) > 0) {
      x.f.add("no-test-delay", "measured with the test-only extra work QUANT_TEST_EXTRA_WORK", c.cell.id);
      return;
    }
}

// enough-samples and context-filled for a speed cell.
void speed_samples(const Rules& x, const CellResult& c) {
  if (c.cell.metric != Metric::speed) return;
  const std::string& id = c.cell.id;
  for (Timing t : {Timing::pp, Timing::tg}) {
    if ((t == Timing::pp ? c.cell.n_prompt : c.cell.n_gen) == 0) continue;
    int runs = 0;
    const int n = count_samples(c, tok_s_of(t), runs);
    if (n < x.lim.min_timing_samples || runs < x.lim.min_timing_runs)
      x.f.add("enough-samples", std::string(measure_name(tok_s_of(t))) + ": too few timings (need " +
                                    std::to_string(x.lim.min_timing_samples) + " samples from " +
                                    std::to_string(x.lim.min_timing_runs) + " processes)", id);
  }
  if (c.cell.n_gen > 0 && c.cell.n_gen < x.lim.min_gen_tokens)
    x.f.add("enough-samples", "tg of fewer than " + std::to_string(x.lim.min_gen_tokens) + " tokens", id);
  if (c.cell.n_prompt > 0 && c.cell.n_prompt < x.lim.min_prompt_tokens)
    x.f.add("enough-samples", "pp of fewer than " + std::to_string(x.lim.min_prompt_tokens) + " tokens", id);
  const int need = c.cell.depth + (c.cell.n_gen > 0 ? c.cell.n_gen : c.cell.n_prompt);
  for (const auto& run : c.runs)
    if (run.ok() && tokens_in_cache(run) < need) {
      x.f.add("context-filled", "reported at depth " + std::to_string(c.cell.depth) + " but the cache held fewer than " +
                                    std::to_string(need) + " tokens (" + std::to_string(tokens_in_cache(run)) + ")",
              id);
      return;
    }
}

// enough-samples and context-filled for a perplexity cell (instruction counts repeat exactly: one run is enough).
void ppl_samples(const Rules& x, const CellResult& c) {
  if (c.cell.metric != Metric::ppl) return;
  for (const auto& run : c.runs) {
    if (!run.ok()) continue;
    const Sample s = sample_of(run);
    if (static_cast<int>(s.n_scored.value_or(0)) < x.lim.min_scored_tokens) {
      x.f.add("enough-samples", "perplexity over fewer than " + std::to_string(x.lim.min_scored_tokens) + " scored tokens",
              c.cell.id);
      return;
    }
    if (tokens_in_cache(run) < c.cell.ctx) {
      x.f.add("context-filled", "reported at context " + std::to_string(c.cell.ctx) + " but the cache held " +
                                    std::to_string(tokens_in_cache(run)) + " tokens",
              c.cell.id);
      return;
    }
  }
}

// distinct-kv: bit-identical perplexities of different cache types mean a type never reached the cache.
void distinct_kv(const Rules& x) {
  std::map<std::string, std::map<double, std::vector<std::string>>> groups;
  for (const auto& c : x.r.cells) {
    if (!c.ok() || c.cell.metric != Metric::ppl || x.peer(c)) continue;
    for (const auto& run : c.runs)
      if (run.ok() && !run.warmup) {
        const std::string g = c.cell.variant + "/" + c.cell.model + "/" + c.cell.text + "/c" + std::to_string(c.cell.ctx);
        groups[g][sample_of(run).ppl.value_or(0)].push_back(c.cell.kv.k + "," + c.cell.kv.v);
        break;
      }
  }
  for (const auto& [g, by_ppl] : groups)
    for (const auto& [ppl, kvs] : by_ppl)
      if (kvs.size() > 1) {
        std::string list;
        for (const auto& k : kvs) list += (list.empty() ? "" : " and ") + k;
        x.f.add("distinct-kv", g + ": KV types " + list + " give bit-identical PPL " + fmt("%.10g", ppl) +
                                   " (the cache type probably never reached the cache)",
                "");
      }
}

// same-threads-and-build: compared cells (each KV type vs fp32, each variant vs the default).
void same_threads_and_build(const Rules& x) {
  std::map<std::string, std::set<std::string>> builds;
  std::set<int> threads;
  std::set<std::string> commits;
  for (const auto& c : x.r.cells) {
    if (!c.ok() || x.peer(c)) continue;
    builds[c.cell.variant].insert(build_key(c.engine));
    if (c.cell.metric != Metric::counts) threads.insert(c.cell.threads);  // counts always run 1 thread
    const json b = c.engine.value("build", json::object());
    commits.insert(b.value("git_commit", "?") + (b.value("git_dirty", false) ? "+dirty" : ""));
    const json cfg = c.engine.value("config", json::object());
    if (cfg.contains("threads") && cfg.at("threads") != c.cell.threads)
      x.f.add("same-threads-and-build", "the engine ran with " + text_of(cfg.at("threads")) +
                                            " threads, the cell says " + std::to_string(c.cell.threads),
              c.cell.id);
  }
  for (const auto& [v, keys] : builds)
    if (keys.size() > 1)
      x.f.add("same-threads-and-build", "variant `" + v + "` mixes " + std::to_string(keys.size()) +
                                            " different binaries (commit, build type, flags or options), so its cells are not comparable",
              "");
  if (threads.size() > 1)
    x.f.add("same-threads-and-build", "cells ran with different thread counts (" + std::to_string(threads.size()) +
                                          " distinct), so ratios between them mix threads",
            "");
  if (commits.size() > 1)
    x.f.add("same-threads-and-build", "variants were built from different source commits (" +
                                          std::to_string(commits.size()) + "), so build comparisons mix code changes",
            "");
}

// The rules, in the order their findings are listed: whole-run rules before and after the per-cell ones.
constexpr void (*kBeforeCells[])(const Rules&) = {default_variant_build};
constexpr void (*kPerCell[])(const Rules&, const CellResult&) = {default_variant_cell, release_build, no_test_delay,
                                                                   speed_samples, ppl_samples};
constexpr void (*kAfterCells[])(const Rules&) = {distinct_kv, same_threads_and_build};

}  // namespace

std::vector<RuleViolation> check_methodology(const Results& r, const MethodologyLimits& lim) {
  Findings f;
  const Rules x{r, lim, f, r.default_variant().variant.name};
  for (auto rule : kBeforeCells) rule(x);
  for (const auto& c : r.cells)
    if (c.ok() && !x.peer(c))
      for (auto rule : kPerCell) rule(x, c);
  for (auto rule : kAfterCells) rule(x);
  return f.list();
}

}  // namespace quant::harness
