// quant-ab: decode speed of several KV cache configurations compared in one process. Each configuration
// gets its own session, filled to the same depth with the same tokens; then short slices of decoding
// alternate between them (order reversed every round), each slice starting again at the depth. On a
// shared machine whose memory bandwidth moves by tens of percent within seconds, runs in separate
// processes cannot resolve a few percent; slices seconds apart can (paired per round).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "quant/backend_factory.h"
#include "quant/build_info.h"
#include "quant/error.h"
#include "quant/kv_types.h"
#include "quant/model.h"
#include "quant/session.h"
#include "quant/thread_pool.h"
#include "../tool_cli.h"

namespace {

[[noreturn]] void usage_error(const std::string& msg) { quant::tool::usage_error("quant-ab", msg); }

struct Config {
  std::string label;  // "K:V" as given
  quant::KvType k, v;
};

Config parse_config(const std::string& s) {
  const size_t colon = s.find(':');
  if (colon == std::string::npos) usage_error("--kv '" + s + "': expected K:V (e.g. turbo_kv_4b:fp16)");
  auto k = quant::parse_kv_type(s.substr(0, colon)), v = quant::parse_kv_type(s.substr(colon + 1));
  if (!k || !v)
    usage_error("--kv '" + s + "': unknown KV cache type '" + (k ? s.substr(colon + 1) : s.substr(0, colon)) +
                "' (valid: " + quant::kv_type_list() + ")");
  return {s, *k, *v};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Options {
  std::string model_path;
  std::vector<Config> configs;
  int depth = 0, rounds = 20, slice = 4, threads = 0;
  uint64_t seed = 1;
  bool json = false;
};

Options parse_options(int argc, char** argv) {
  CLI::App app{"quant-ab: decode speed of KV cache configurations, alternated in one process"};
  app.set_version_flag("--version", quant::version_text("quant-ab"), "Show the version, commit, build type and options");
  Options o;
  std::vector<std::string> kv_args;
  app.add_option("model", o.model_path, "GGUF model file")->required();
  app.add_option("--kv", kv_args, "a configuration K:V (give two or more; the first is the reference)")->required();
  app.add_option("--depth", o.depth, "tokens in the cache before every slice")->check(CLI::Range(0, 1 << 24));
  app.add_option("--rounds", o.rounds, "slices per configuration")->check(CLI::Range(1, 100000));
  app.add_option("--slice", o.slice, "tokens decoded per slice")->check(CLI::Range(1, 4096));
  app.add_option("-t,--threads", o.threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--seed", o.seed, "random token ids");
  app.add_flag("--json", o.json, "print one JSON object on stdout");
  quant::tool::parse_or_exit(app, argc, argv, "quant-ab");
  for (const auto& s : kv_args) o.configs.push_back(parse_config(s));
  if (o.configs.size() < 2) usage_error("--kv: give at least two configurations to compare");
  if (o.threads == 0) o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return o;
}

// Every configuration's slice speeds (tok/s, one per round) and total seconds.
struct Timings {
  std::vector<std::vector<double>> tok_s;
  std::vector<double> seconds;
};

// One session per configuration, each filled to the depth with the same random tokens, then `rounds`
// slices of each, alternated.
Timings time_slices(const Options& o) {
  auto model = quant::Model::load(o.model_path, quant::WeightMemory::copy);
  quant::ThreadPool pool(o.threads);
  auto backend = quant::make_backend("cpu", pool);
  backend->prepare(*model);
  const int n_vocab = model->config().n_vocab;
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> pick(0, n_vocab - 1);
  std::vector<int> prefix(static_cast<size_t>(o.depth)), tokens(static_cast<size_t>(o.slice));
  for (int& t : prefix) t = pick(rng);
  for (int& t : tokens) t = pick(rng);

  std::vector<std::unique_ptr<quant::Session>> sessions;
  for (const Config& c : o.configs) {
    quant::SessionOptions so;
    so.n_ctx = o.depth + o.slice;
    so.k_type = c.k;
    so.v_type = c.v;
    sessions.push_back(std::make_unique<quant::Session>(*model, pool, *backend, so));
    if (o.depth > 0) sessions.back()->eval(prefix.data(), o.depth, nullptr, false);
  }
  const size_t n = o.configs.size();
  Timings t{std::vector<std::vector<double>>(n), std::vector<double>(n, 0.0)};
  for (int r = 0; r < o.rounds; ++r)
    for (size_t i = 0; i < n; ++i) {
      const size_t c = r % 2 == 0 ? i : n - 1 - i;  // ABBA: drift hits every configuration alike
      quant::Session& s = *sessions[c];
      s.truncate(o.depth);
      const double t0 = now();
      for (int k = 0; k < o.slice; ++k) s.eval(&tokens[static_cast<size_t>(k)], 1, nullptr, false);
      const double dt = now() - t0;
      t.seconds[c] += dt;
      t.tok_s[c].push_back(o.slice / dt);
    }
  return t;
}

// The Markdown table (stdout, or stderr with --json) and with --json the JSON object on stdout.
void report(const Options& o, const Timings& t) {
  FILE* out = o.json ? stderr : stdout;
  std::fprintf(out, "| K:V | tok/s @ depth %d | paired median vs %s | slices faster |\n|---|---|---|---|\n", o.depth,
               o.configs[0].label.c_str());
  nlohmann::json results = nlohmann::json::array();
  for (size_t c = 0; c < o.configs.size(); ++c) {
    std::vector<double> ratio;
    int faster = 0;
    for (int r = 0; r < o.rounds; ++r) {
      ratio.push_back(t.tok_s[c][r] / t.tok_s[0][r]);
      faster += t.tok_s[c][r] > t.tok_s[0][r];
    }
    const double mean_tok_s = static_cast<double>(o.rounds) * o.slice / t.seconds[c];
    std::fprintf(out, "| %s | %.2f | %.3f | %d of %d |\n", o.configs[c].label.c_str(), mean_tok_s, median(ratio), faster,
                 o.rounds);
    results.push_back({{"k_type", std::string(quant::kv_type_name(o.configs[c].k))},
                       {"v_type", std::string(quant::kv_type_name(o.configs[c].v))},
                       {"tok_s", mean_tok_s},
                       {"slice_tok_s", t.tok_s[c]},
                       {"median_ratio_to_first", median(ratio)},
                       {"slices_faster_than_first", faster}});
  }
  if (o.json) {
    const quant::BuildInfo& b = quant::build_info();
    nlohmann::json j = {{"schema", "quant.ab"},       {"schema_version", 1},    {"model", o.model_path},
                        {"backend", "cpu"},           {"threads", o.threads},   {"depth", o.depth},
                        {"rounds", o.rounds},         {"slice_tokens", o.slice}, {"seed", o.seed},
                        {"git_commit", b.git_commit}, {"configs", results}};
    std::printf("%s\n", j.dump(2).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  try {
    report(o, time_slices(o));
  } catch (const quant::InputError& e) {
    std::fprintf(stderr, "quant-ab: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "quant-ab: error: out of memory (lower --depth)\n");
    return 1;
  }
  return 0;
}
