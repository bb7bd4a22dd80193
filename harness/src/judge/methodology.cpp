#include "harness/judge/methodology.h"

#include <map>
#include <set>

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

int count_samples(const CellResult& c, const std::string& measure, int& runs) {
  int n = 0;
  runs = 0;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup && r.sample.contains(measure)) {
      n += static_cast<int>(r.sample.at(measure).size());
      ++runs;
    }
  return n;
}

std::string build_key(const json& engine) {
  const json b = engine.value("build", json::object());
  return b.value("git_commit", "?") + (b.value("git_dirty", false) ? "+dirty" : "") + " " + b.value("build_type", "?") +
         " `" + b.value("cxx_flags", "") + "` " + b.value("cmake_options", json::object()).dump();
}

}  // namespace

std::vector<RuleViolation> check_methodology(const Results& r, const MethodologyLimits& lim) {
  Findings f;
  const VariantResult& dv = r.default_variant();
  const std::string def = dv.variant.name;
  // The rules are about quant's figures; a peer engine's cells are checked when they run (peer_llamacpp.h).
  auto peer = [&](const CellResult& c) {
    const VariantResult* v = r.variant(c.cell.variant);
    return v && v->variant.is_peer();
  };

  // default-variant: what users get is the CPU-only Release build.
  {
    const Variant& v = dv.variant;
    auto it = v.cmake_options.find("ENGINE_VULKAN");
    if (v.backend != "cpu" || v.build_type != "Release" || (it != v.cmake_options.end() && it->second != "OFF"))
      f.add("default-variant", "the default variant `" + def + "` is not the CPU-only Release build users get (backend " +
                                   v.backend + ", " + v.build_type +
                                   (it != v.cmake_options.end() ? ", ENGINE_VULKAN=" + it->second : "") + ")",
            "");
  }
  for (const auto& c : r.cells) {
    if (!c.ok() || peer(c)) continue;
    const std::string& id = c.cell.id;
    const json& e = c.engine;
    const json opts = e.value("build", json::object()).value("cmake_options", json::object());
    const std::string used = e.value("backend", json::object()).value("used", "?");
    if (c.cell.variant == def) {
      if (opts.contains("ENGINE_VULKAN") && text_of(opts.at("ENGINE_VULKAN")) != "OFF")
        f.add("default-variant", "figures of the default variant `" + def +
                                     "` (presented as what users get) come from a binary built with ENGINE_VULKAN=" +
                                     text_of(opts.at("ENGINE_VULKAN")) + " (an accelerator build users do not get)",
              id);
      if (used != "cpu")
        f.add("default-variant", "figures of the default variant `" + def + "` ran on backend " + used + ", not cpu", id);
    }
    // release-build
    const std::string bt = e.value("build", json::object()).value("build_type", "?");
    if (bt != "Release") f.add("release-build", "figures from a " + bt + " build, not Release", id);
    // no-test-delay
    for (const auto& run : c.runs)
      if (test_delay_us(run) > 0) {
        f.add("no-test-delay", "measured with the test-only slowdown QUANT_TEST_DELAY_US", id);
        break;
      } else if (test_extra_work(run) > 0) {
        f.add("no-test-delay", "measured with the test-only extra work QUANT_TEST_EXTRA_WORK", id);
        break;
      }
    // enough-samples and context-filled (instruction counts repeat exactly: one run is enough)
    if (c.cell.metric == Metric::counts) continue;
    if (c.cell.metric == Metric::speed) {
      for (const char* m : {"pp_tok_s", "tg_tok_s"}) {
        if ((std::string(m) == "pp_tok_s" ? c.cell.n_prompt : c.cell.n_gen) == 0) continue;
        int runs = 0;
        const int n = count_samples(c, m, runs);
        if (n < lim.min_timing_samples || runs < lim.min_timing_runs)
          f.add("enough-samples", std::string(m) + ": too few timings (need " + std::to_string(lim.min_timing_samples) +
                                      " samples from " + std::to_string(lim.min_timing_runs) + " processes)", id);
      }
      if (c.cell.n_gen > 0 && c.cell.n_gen < lim.min_gen_tokens)
        f.add("enough-samples", "tg of fewer than " + std::to_string(lim.min_gen_tokens) + " tokens", id);
      if (c.cell.n_prompt > 0 && c.cell.n_prompt < lim.min_prompt_tokens)
        f.add("enough-samples", "pp of fewer than " + std::to_string(lim.min_prompt_tokens) + " tokens", id);
      const int need = c.cell.depth + (c.cell.n_gen > 0 ? c.cell.n_gen : c.cell.n_prompt);
      for (const auto& run : c.runs)
        if (run.ok() && run.sample.value("max_tokens_in_cache", 0) < need) {
          f.add("context-filled", "reported at depth " + std::to_string(c.cell.depth) + " but the cache held fewer than " +
                                      std::to_string(need) + " tokens (" +
                                      std::to_string(run.sample.value("max_tokens_in_cache", 0)) + ")",
                id);
          break;
        }
    } else {
      for (const auto& run : c.runs) {
        if (!run.ok()) continue;
        if (run.sample.value("n_scored", 0) < lim.min_scored_tokens) {
          f.add("enough-samples", "perplexity over fewer than " + std::to_string(lim.min_scored_tokens) + " scored tokens",
                id);
          break;
        }
        if (run.sample.value("max_tokens_in_cache", 0) < c.cell.ctx) {
          f.add("context-filled", "reported at context " + std::to_string(c.cell.ctx) + " but the cache held " +
                                      std::to_string(run.sample.value("max_tokens_in_cache", 0)) + " tokens",
                id);
          break;
        }
      }
    }
  }

  // distinct-kv: bit-identical perplexities of different cache types mean a type never reached the cache.
  std::map<std::string, std::map<double, std::vector<std::string>>> groups;
  for (const auto& c : r.cells) {
    if (!c.ok() || c.cell.metric != Metric::ppl || peer(c)) continue;
    for (const auto& run : c.runs)
      if (run.ok() && !run.warmup) {
        const std::string g = c.cell.variant + "/" + c.cell.model + "/" + c.cell.text + "/c" + std::to_string(c.cell.ctx);
        groups[g][run.sample.at("ppl").get<double>()].push_back(c.cell.kv.k + "," + c.cell.kv.v);
        break;
      }
  }
  for (const auto& [g, by_ppl] : groups)
    for (const auto& [ppl, kvs] : by_ppl)
      if (kvs.size() > 1) {
        std::string list;
        for (const auto& k : kvs) list += (list.empty() ? "" : " and ") + k;
        f.add("distinct-kv", g + ": KV types " + list + " give bit-identical PPL " + fmt("%.10g", ppl) +
                                 " (the cache type probably never reached the cache)",
              "");
      }

  // same-threads-and-build: compared cells (each KV type vs fp32, each variant vs the default).
  std::map<std::string, std::set<std::string>> builds;
  std::set<int> threads;
  std::set<std::string> commits;
  for (const auto& c : r.cells) {
    if (!c.ok() || peer(c)) continue;
    builds[c.cell.variant].insert(build_key(c.engine));
    if (c.cell.metric != Metric::counts) threads.insert(c.cell.threads);  // counts always run 1 thread
    const json b = c.engine.value("build", json::object());
    commits.insert(b.value("git_commit", "?") + (b.value("git_dirty", false) ? "+dirty" : ""));
    const json cfg = c.engine.value("config", json::object());
    if (cfg.contains("threads") && cfg.at("threads") != c.cell.threads)
      f.add("same-threads-and-build", "the engine ran with " + text_of(cfg.at("threads")) + " threads, the cell says " +
                                          std::to_string(c.cell.threads),
            c.cell.id);
  }
  for (const auto& [v, keys] : builds)
    if (keys.size() > 1)
      f.add("same-threads-and-build", "variant `" + v + "` mixes " + std::to_string(keys.size()) +
                                          " different binaries (commit, build type, flags or options), so its cells are not comparable",
            "");
  if (threads.size() > 1)
    f.add("same-threads-and-build", "cells ran with different thread counts (" + std::to_string(threads.size()) +
                                        " distinct), so ratios between them mix threads",
          "");
  if (commits.size() > 1)
    f.add("same-threads-and-build", "variants were built from different source commits (" +
                                        std::to_string(commits.size()) + "), so build comparisons mix code changes",
          "");
  return f.list();
}

}  // namespace quant::harness
