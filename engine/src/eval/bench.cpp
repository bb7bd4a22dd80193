#include "quant/bench.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace quant {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Busy-waits: a slowdown that keeps the core busy, like real extra work (a sleep would free the core).
void spin_us(double us) {
  if (us <= 0) return;
  const double end = now_seconds() + us * 1e-6;
  while (now_seconds() < end) {
  }
}

// Real arithmetic, about `n` instructions (a multiply-add chain the compiler cannot drop): a test-only
// cost that shows up in instruction counts, where a busy-wait's count depends on the machine's speed.
void extra_work(uint64_t n) {
  if (n == 0) return;
  static volatile uint64_t sink = 0;
  uint64_t x = sink + 1;
  // Five instructions per iteration (multiply, add, increment, compare, branch with GCC 12 at -O3).
  for (uint64_t i = 0; i < n / 5; ++i) x = x * 6364136223846793005ULL + i;
  sink = x;
}

void add_since(BackendStats& sum, const BackendStats& before, const BackendStats& now) {
  sum.submits += now.submits - before.submits;
  sum.dispatches += now.dispatches - before.dispatches;
}
}  // namespace

BenchResult run_bench(Session& s, const BenchOptions& o) {
  const int n_vocab = s.model().config().n_vocab;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> pick(0, n_vocab - 1);
  auto random_tokens = [&](int n) {
    std::vector<int> t(n);
    for (int& x : t) x = pick(rng);
    return t;
  };
  std::vector<float> logits(n_vocab);
  BenchResult r;

  // The depth prefix is computed once; each repetition truncates back to it.
  s.reset();
  if (o.depth > 0 && o.random_depth) {
    s.fill_random(o.depth, o.seed);
  } else if (o.depth > 0) {
    std::vector<int> prefix = random_tokens(o.depth);
    s.eval(prefix.data(), o.depth, nullptr, false);
  }
  std::vector<int> prompt = random_tokens(std::max(o.n_prompt, 1));
  std::vector<int> gen = random_tokens(std::max(o.n_gen, 1));

  for (int rep = -1; rep < o.reps; ++rep) {  // rep -1 is the warm-up
    if (o.n_prompt > 0) {
      s.truncate(o.depth);
      const BackendStats before = s.backend().stats();
      if (o.on_region) o.on_region("pp", true, rep >= 0);
      double t0 = now_seconds();
      s.eval(prompt.data(), o.n_prompt, logits.data(), false);
      spin_us(o.test_delay_us * o.n_prompt);
      extra_work(o.test_extra_work * o.n_prompt);
      double dt = now_seconds() - t0;
      if (o.on_region) o.on_region("pp", false, rep >= 0);
      r.max_tokens_in_cache = std::max(r.max_tokens_in_cache, s.n_past());
      if (rep >= 0) {
        r.pp_seconds.push_back(dt);
        r.pp_tok_s.push_back(o.n_prompt / dt);
        add_since(r.pp_stats, before, s.backend().stats());
      }
    }
    if (o.n_gen > 0) {
      s.truncate(o.depth);
      const BackendStats before = s.backend().stats();
      const bool probing = o.probe && rep >= 0;
      if (o.on_region) o.on_region("tg", true, rep >= 0);
      const double t0 = now_seconds();
      double probing_s = 0, slice_t0 = t0;
      for (int i = 0; i < o.n_gen; ++i) {
        s.eval(&gen[i], 1, logits.data(), false);
        spin_us(o.test_delay_us);
        extra_work(o.test_extra_work);
        if (probing && (i + 1) % o.probe_every == 0) {
          const double t1 = now_seconds();
          r.slice_tok_s.push_back(o.probe_every / (t1 - slice_t0));
          r.slice_read_gb_s.push_back(o.probe->pass_gb_s());
          slice_t0 = now_seconds();
          probing_s += slice_t0 - t1;
        }
      }
      const double dt = now_seconds() - t0 - probing_s;
      if (o.on_region) o.on_region("tg", false, rep >= 0);
      r.max_tokens_in_cache = std::max(r.max_tokens_in_cache, s.n_past());
      if (rep >= 0) {
        r.tg_seconds.push_back(dt);
        r.tg_tok_s.push_back(o.n_gen / dt);
        add_since(r.tg_stats, before, s.backend().stats());
      }
    }
  }
  return r;
}

}  // namespace quant
