#include <algorithm>
#include <cstdio>
#include <numeric>

#include "context.h"
#include "modes.h"
#include "quant/bench.h"
#include "report.h"

namespace quant::cli {

namespace {
double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Weight bytes one decoded token reads: every matrix, except a separate token embedding (one row of it
// is read). Decode speed x this / memory bandwidth (quant-bandwidth) = fraction of the bandwidth limit.
uint64_t weight_bytes_per_token(const Model& m) {
  uint64_t bytes = 0;
  for (const auto& t : m.file().tensors())
    if (t.dims.size() >= 2 && !(t.name == "token_embd.weight" && !m.config().tied_embeddings)) bytes += t.n_bytes;
  return bytes;
}
}  // namespace

int run_bench(const Options& o) {
  Context ctx(o);
  const int needed = o.depth + std::max(o.n_prompt, o.n_predict);
  const int n_ctx = std::max(o.n_ctx, needed);
  auto session = ctx.session(o, n_ctx, o.k_type, o.v_type);
  BenchOptions bo;
  bo.n_prompt = o.n_prompt;
  bo.n_gen = o.n_predict;
  bo.reps = o.reps;
  bo.depth = o.depth;
  bo.seed = o.seed == 0 ? 1 : o.seed;
  BenchResult r = run_bench(*session, bo);

  FILE* out = o.json ? stderr : stdout;
  std::fprintf(out, "| model | threads | K | V | backend | test | tok/s |\n|---|---|---|---|---|---|---|\n");
  auto row = [&](const char* test, int n, const std::vector<double>& v) {
    if (v.empty()) return;
    std::fprintf(out, "| %s | %d | %s | %s | %s | %s%d%s | %.2f (min %.2f, max %.2f) |\n",
                 ctx.model->config().arch.c_str(), o.threads, std::string(kv_type_name(o.k_type)).c_str(),
                 std::string(kv_type_name(o.v_type)).c_str(), ctx.backend->name().c_str(), test, n,
                 o.depth ? (" @ d" + std::to_string(o.depth)).c_str() : "", mean(v),
                 *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  };
  row("pp", o.n_prompt, r.pp_tok_s);
  row("tg", o.n_predict, r.tg_tok_s);
  const uint64_t wbytes = weight_bytes_per_token(*ctx.model);
  if (!r.tg_tok_s.empty())
    std::fprintf(out, "weights read per decoded token: %.3f GB; at the mean tg speed: %.2f GB/s\n", wbytes / 1e9,
                 wbytes * mean(r.tg_tok_s) / 1e9);

  if (o.json) {
    nlohmann::json j = base_report(o, "bench");
    add_model(j, o, *ctx.model);
    add_backend(j, ctx.backend_requested, *ctx.backend);
    add_kv(j, *session);
    // Per token of the measured repetitions: tg decodes one token per forward call; pp runs a whole batch.
    const double pp_tokens = static_cast<double>(bo.reps) * o.n_prompt, tg_tokens = static_cast<double>(bo.reps) * o.n_predict;
    auto per = [](uint64_t count, double tokens) { return tokens > 0 ? count / tokens : 0.0; };
    const bool tg = tg_tokens > 0;
    j["backend"]["submits_per_token"] = tg ? per(r.tg_stats.submits, tg_tokens) : per(r.pp_stats.submits, pp_tokens);
    j["backend"]["dispatches_per_token"] =
        tg ? per(r.tg_stats.dispatches, tg_tokens) : per(r.pp_stats.dispatches, pp_tokens);
    j["backend"]["pp_submits_per_token"] = per(r.pp_stats.submits, pp_tokens);
    j["backend"]["pp_dispatches_per_token"] = per(r.pp_stats.dispatches, pp_tokens);
    j["bench"] = {{"n_prompt", o.n_prompt}, {"n_gen", o.n_predict}, {"depth", o.depth}, {"reps", o.reps},
                  {"warmup_reps", 1}, {"seed", bo.seed}, {"max_tokens_in_cache", r.max_tokens_in_cache},
                  {"weight_bytes_per_token", wbytes},
                  {"pp", {{"tok_s", r.pp_tok_s}, {"seconds", r.pp_seconds}, {"mean_tok_s", mean(r.pp_tok_s)}}},
                  {"tg", {{"tok_s", r.tg_tok_s}, {"seconds", r.tg_seconds}, {"mean_tok_s", mean(r.tg_tok_s)}}}};
    emit_json(j);
  }
  return 0;
}

}  // namespace quant::cli
