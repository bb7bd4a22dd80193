// quant MODEL --serve-bench: loads the model once, then times slices on command, one line in, one JSON
// line out, so a driver (bench-all's duet timing) can alternate two builds slice by slice within
// milliseconds instead of comparing whole processes seconds apart. Protocol (docs/bench-all-gate.md):
//   start    -> {"ready": true, "schema": "quant.serve", build, system, config, model, backend, kv, ...}
//   "slice tg N [DEPTH]" -> decode N tokens one at a time after DEPTH cached tokens (default 0)
//   "slice pp N [DEPTH]" -> process N tokens as one batch after DEPTH cached tokens
//            -> {"ok": true, "kind": "tg", "tokens": N, "depth": D, "seconds": S, "tok_s": N / S,
//                "median_tok_s": 1 / the median time of one token (pp: N / S),
//                "test_delay_us": busy-wait per token of the test-only slowdowns below (0 without them)}
//   "quit" or end of input -> exit 0; a bad line -> {"ok": false, "error": "..."} and the next line is read.
// The depth prefix is the same seeded tokens in every process; it is computed once (untimed) and kept
// while later slices ask for the same or a smaller depth. Test-only slowdowns (never for figures):
// QUANT_TEST_DELAY_US busy-waits that many microseconds per token, as in --bench (a decimal number here);
// QUANT_TEST_SLOWDOWN_PCT=P busy-waits after each token (pp: each batch) for P / (100 - P) of the time it
// took, so every token takes 100 / (100 - P) times as long. On a loaded machine a wait preempted near its
// end overshoots by a scheduling delay, like any token preempted while it runs; the median token time
// (`median_tok_s`) is immune to both, the slice's throughput (`tok_s`) is not.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "context.h"
#include "modes.h"
#include "quant/error.h"
#include "report.h"

namespace quant::cli {

namespace {

constexpr int kDefaultServeCtx = 2048;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A test-only knob from the environment: 0 when unset, a decimal number in 0..hi otherwise.
double env_number(const char* name, double hi, const char* what) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  if (*end != '\0' || !std::isfinite(x) || x < 0 || x > hi)
    throw InputError(std::string(name) + ": '" + v + "' is not " + what, 2);
  return x;
}

void spin_us(double us) {
  if (us <= 0) return;
  const double end = now_seconds() + us * 1e-6;
  while (now_seconds() < end) {
  }
}

void reply(const nlohmann::json& j) {
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

struct SliceRequest {
  std::string kind;  // "tg" or "pp"
  int tokens = 0, depth = 0;
};

// Parses "slice tg|pp N [DEPTH]"; the error text names what is wrong.
bool parse_slice(const std::string& line, int n_ctx, SliceRequest& r, std::string& error) {
  std::istringstream in(line);
  std::string word, extra;
  in >> word >> r.kind;
  if (r.kind != "tg" && r.kind != "pp") {
    error = "'" + line + "': expected 'slice tg N [DEPTH]' or 'slice pp N [DEPTH]'";
    return false;
  }
  if (!(in >> r.tokens) || r.tokens < 1) {
    error = "'" + line + "': N must be a whole number of tokens >= 1";
    return false;
  }
  if (!(in >> r.depth)) {
    if (!in.eof()) {
      error = "'" + line + "': DEPTH must be a whole number >= 0";
      return false;
    }
    r.depth = 0;
  }
  in.clear();
  if (r.depth < 0 || (in >> extra)) {
    error = "'" + line + "': DEPTH must be a whole number >= 0, and nothing may follow it";
    return false;
  }
  if (r.depth + r.tokens > n_ctx) {
    error = "'" + line + "': depth + tokens = " + std::to_string(r.depth + r.tokens) + " exceed the cache of " +
            std::to_string(n_ctx) + " tokens (-c)";
    return false;
  }
  return true;
}

class Server {
 public:
  Server(Session& s, uint64_t seed, double delay_us, double slowdown_pct)
      : s_(s), delay_us_(delay_us), stretch_(slowdown_pct / (100 - slowdown_pct)) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> pick(0, s.model().config().n_vocab - 1);
    logits_.resize(static_cast<size_t>(s.model().config().n_vocab));
    for (auto* v : {&prefix_, &prompt_, &gen_}) {
      v->resize(static_cast<size_t>(s.n_ctx()));
      for (int& t : *v) t = pick(rng);
    }
  }

  // Seconds the slice took; `spun` gets the seconds of test-only busy-waiting inside them, `token_s` the
  // time of each token (tg) or the mean time per token of the batch (pp).
  double time_slice(const SliceRequest& r, double& spun, std::vector<double>& token_s) {
    token_s.clear();
    if (r.depth > valid_) {  // untimed: extend the prefix
      s_.truncate(valid_);
      s_.eval(prefix_.data() + valid_, r.depth - valid_, nullptr, false);
    }
    s_.truncate(r.depth);
    spun = 0;
    const double t0 = now_seconds();
    if (r.kind == "pp") {
      s_.eval(prompt_.data(), r.tokens, logits_.data(), false);
      spun += slow_down(now_seconds() - t0, r.tokens);
    } else {
      for (int i = 0; i < r.tokens; ++i) {
        const double t1 = now_seconds();
        s_.eval(&gen_[static_cast<size_t>(i)], 1, logits_.data(), false);
        spun += slow_down(now_seconds() - t1, 1);
        token_s.push_back(now_seconds() - t1);
      }
    }
    const double dt = now_seconds() - t0;
    if (r.kind == "pp") token_s.push_back(dt / r.tokens);
    valid_ = r.depth;  // positions from the depth on now hold the slice's tokens
    return dt;
  }

 private:
  // The test-only slowdowns after `tokens` tokens that took `took` seconds; returns the seconds waited.
  double slow_down(double took, int tokens) {
    if (delay_us_ <= 0 && stretch_ <= 0) return 0;
    const double t0 = now_seconds();
    spin_us(delay_us_ * tokens + took * stretch_ * 1e6);
    return now_seconds() - t0;
  }

  Session& s_;
  double delay_us_, stretch_;
  int valid_ = 0;  // cache positions holding the prefix
  std::vector<int> prefix_, prompt_, gen_;
  std::vector<float> logits_;  // computed as in --bench (the output layer is part of every token's cost)
};

}  // namespace

int run_serve_bench(const Options& o) {
  const double delay_us = env_number("QUANT_TEST_DELAY_US", 1e6, "a number of microseconds in 0..1000000");
  const double slowdown_pct = env_number("QUANT_TEST_SLOWDOWN_PCT", 90, "a percentage in 0..90");
  Context ctx(o);
  const int n_ctx = o.n_ctx > 0 ? o.n_ctx : kDefaultServeCtx;
  auto session = ctx.session(o, n_ctx, o.k_type, o.v_type);
  if (delay_us > 0)
    std::fprintf(stderr, "quant: QUANT_TEST_DELAY_US=%g: test-only slowdown of every evaluated token\n", delay_us);
  if (slowdown_pct > 0)
    std::fprintf(stderr, "quant: QUANT_TEST_SLOWDOWN_PCT=%g: test-only slowdown of every evaluated token\n",
                 slowdown_pct);
  nlohmann::json ready = base_report(o, "serve-bench");
  add_model(ready, o, *ctx.model);
  add_backend(ready, ctx.backend_requested, *ctx.backend);
  add_kv(ready, *session);
  ready["ready"] = true;
  ready["schema"] = "quant.serve";
  ready["test_delay_us"] = delay_us;
  ready["test_slowdown_pct"] = slowdown_pct;
  reply(ready);

  Server server(*session, o.seed == 0 ? 1 : o.seed, delay_us, slowdown_pct);
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "quit") break;
    if (line.empty()) continue;
    SliceRequest r;
    std::string error;
    if (line.rfind("slice ", 0) != 0) {
      reply({{"ok", false}, {"error", "'" + line + "': unknown command (slice tg|pp N [DEPTH], quit)"}});
      continue;
    }
    if (!parse_slice(line, n_ctx, r, error)) {
      reply({{"ok", false}, {"error", error}});
      continue;
    }
    double spun = 0;
    std::vector<double> token_s;
    const double dt = server.time_slice(r, spun, token_s);
    std::sort(token_s.begin(), token_s.end());
    const size_t n = token_s.size();
    const double median_s = n % 2 ? token_s[n / 2] : 0.5 * (token_s[n / 2 - 1] + token_s[n / 2]);
    reply({{"ok", true}, {"kind", r.kind}, {"tokens", r.tokens}, {"depth", r.depth}, {"seconds", dt},
           {"tok_s", r.tokens / dt}, {"median_tok_s", 1 / median_s}, {"test_delay_us", spun / r.tokens * 1e6}});
  }
  return 0;
}

}  // namespace quant::cli
