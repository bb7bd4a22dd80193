#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <string>

#include "context.h"
#include "count_regions.h"
#include "modes.h"
#include "quant/bench.h"
#include "quant/error.h"
#include "quant/read_probe.h"
#include "bench_output.h"
#include "quant/host_load.h"
#include "report.h"

namespace quant::cli {

namespace {
double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// QUANT_TEST_DELAY_US: test-only slowdown (microseconds of busy-waiting per evaluated token) with which
// the benchmark gate's tests show that a real slowdown is caught. Reported in the JSON; never use it
// for figures (bench-all refuses such runs as baselines).
int test_delay_us() {
  const char* v = std::getenv("QUANT_TEST_DELAY_US");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long us = std::strtol(v, &end, 10);
  if (*end != '\0' || us < 0 || us > 1000000)
    throw InputError(std::string("QUANT_TEST_DELAY_US: '") + v + "' is not a whole number of microseconds in 0..1000000", 2);
  return static_cast<int>(us);
}

// QUANT_TEST_EXTRA_WORK: test-only extra work (about this many instructions per evaluated token) with
// which the instruction-count gate's tests show that added work is caught. Refused like the delay.
uint64_t test_extra_work() {
  const char* v = std::getenv("QUANT_TEST_EXTRA_WORK");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 1000000000LL)
    throw InputError(std::string("QUANT_TEST_EXTRA_WORK: '") + v + "' is not a whole number of instructions in 0..1e9", 2);
  return static_cast<uint64_t>(n);
}

// Weight bytes one decoded token reads: every matrix, except a separate token embedding (one row of it
// is read). Decode speed x this / memory bandwidth (quant-bandwidth) = fraction of the bandwidth limit.
uint64_t weight_bytes_per_token(const Model& m) {
  uint64_t bytes = 0;
  for (const auto& t : m.file().tensors())
    if (t.dims.size() >= 2 && !(t.name == "token_embd.weight" && !m.config().tied_embeddings)) bytes += t.n_bytes;
  return bytes;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The probe's buffer: far larger than any cache, like the weights.
constexpr size_t kProbeBytes = size_t{256} << 20;

// One point of the sweep: the quant.run object --json prints for it.
nlohmann::json measure(Context& ctx, const Options& o) {
  const int needed = o.depth + std::max(o.n_prompt, o.n_predict);
  const int n_ctx = std::max(o.n_ctx, needed);
  auto session = ctx.session(o, n_ctx, o.k_type, o.v_type);
  BenchOptions bo;
  bo.n_prompt = o.n_prompt;
  bo.n_gen = o.n_predict;
  bo.reps = o.reps;
  bo.depth = o.depth;
  bo.random_depth = o.random_depth;
  bo.seed = o.seed == 0 ? 1 : o.seed;
  bo.test_delay_us = test_delay_us();
  bo.test_extra_work = test_extra_work();
  bo.on_region = count_region_hook();
  std::unique_ptr<ReadProbe> probe;
  if (o.probe_bandwidth) {
    if (ctx.backend->name() != "cpu")
      throw InputError("--probe-bandwidth: measures the CPU's memory bandwidth, but the " + ctx.backend->name() +
                       " backend decodes (use --backend cpu)", 2);
    try {
      probe = std::make_unique<ReadProbe>(*ctx.pool, kProbeBytes);
    } catch (const std::bad_alloc&) {
      throw InputError("--probe-bandwidth: cannot allocate the probe's 256 MiB buffer");
    }
    bo.probe = probe.get();
    bo.probe_every = kProbeEvery;
  }
  nlohmann::json j = base_report(o, "bench");  // before the run: the load it started under
  BenchResult r = run_bench(*session, bo);
  const uint64_t wbytes = weight_bytes_per_token(*ctx.model);
  // Per slice: weight GB/s while decoding it over the read GB/s of the probe pass right after it.
  std::vector<double> slice_gb_s, fraction;
  for (size_t i = 0; i < r.slice_tok_s.size(); ++i) {
    slice_gb_s.push_back(wbytes * r.slice_tok_s[i] / 1e9);
    fraction.push_back(slice_gb_s.back() / r.slice_read_gb_s[i]);
  }
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
  j["bench"] = {{"n_prompt", o.n_prompt}, {"n_gen", o.n_predict}, {"depth", o.depth},
                {"depth_fill", o.random_depth ? "random" : "prefill"}, {"reps", o.reps},
                {"warmup_reps", 1}, {"seed", bo.seed}, {"max_tokens_in_cache", r.max_tokens_in_cache},
                {"test_delay_us", bo.test_delay_us}, {"test_extra_work", bo.test_extra_work},
                {"counted_regions", static_cast<bool>(bo.on_region)}, {"weight_bytes_per_token", wbytes},
                {"pp", {{"tok_s", r.pp_tok_s}, {"seconds", r.pp_seconds}, {"mean_tok_s", mean(r.pp_tok_s)}}},
                {"tg", {{"tok_s", r.tg_tok_s}, {"seconds", r.tg_seconds}, {"mean_tok_s", mean(r.tg_tok_s)}}}};
  j["bench"]["bandwidth"] = nullptr;
  if (probe)
    j["bench"]["bandwidth"] = {{"probe", "read"}, {"probe_bytes", probe->bytes()}, {"threads", o.threads},
                               {"tokens_per_slice", kProbeEvery}, {"slice_tok_s", r.slice_tok_s},
                               {"slice_weight_gb_s", slice_gb_s}, {"read_gb_s", r.slice_read_gb_s},
                               {"fraction", fraction}, {"median_fraction", median(fraction)},
                               {"median_read_gb_s", median(r.slice_read_gb_s)}};
  return j;
}

// The cross product of the lists, K type outermost and tg tokens innermost (threads change rarely:
// each change builds a new pool and backend).
std::vector<Options> sweep_points(const Options& o) {
  std::vector<Options> points;
  const BenchSweep& s = o.sweep;
  for (KvType k : s.k_types)
    for (KvType v : s.v_types)
      for (int t : s.threads)
        for (int b : s.batch)
          for (int d : s.depth)
            for (int p : s.n_prompt)
              for (int n : s.n_gen) {
                Options q = o;
                q.k_type = k, q.v_type = v, q.threads = t, q.batch = b, q.depth = d, q.n_prompt = p, q.n_predict = n;
                points.push_back(q);
              }
  std::stable_sort(points.begin(), points.end(), [](const Options& a, const Options& b) { return a.threads < b.threads; });
  return points;
}

}  // namespace

int run_bench(const Options& o) {
  Context ctx(o);
  // The load the run started under (the JSON records it too); said once the inputs proved valid, so a bad
  // input still gives exactly one line.
  std::string load_warning = high_load_warning(read_host_load());
  if (const int us = test_delay_us(); us > 0)
    std::fprintf(stderr, "quant: QUANT_TEST_DELAY_US=%d: test-only slowdown of every evaluated token\n", us);
  if (const uint64_t n = test_extra_work(); n > 0)
    std::fprintf(stderr, "quant: QUANT_TEST_EXTRA_WORK=%llu: test-only extra instructions per evaluated token\n",
                 static_cast<unsigned long long>(n));
  BenchWriter out(o);
  for (const Options& p : sweep_points(o)) {
    ctx.use_threads(p.threads);
    out.add(measure(ctx, p));
    if (!load_warning.empty()) std::fprintf(stderr, "quant: warning: %s\n", load_warning.c_str());
    load_warning.clear();
  }
  out.finish();
  return 0;
}

}  // namespace quant::cli
