// fake_quant: prints `quant --json`-shaped output for the harness tests, with speeds, noise, failures
// and delays chosen through the environment. It parses the flags the harness passes and nothing else.
//   FAKE_QUANT_TG / FAKE_QUANT_PP   base tok/s for fp32 (default 1000 / 5000)
//   FAKE_QUANT_NOISE                relative standard deviation of each timing (default 0.02)
//   FAKE_QUANT_SLOWDOWN             divide every speed by this factor (default 1)
//   FAKE_QUANT_SEED                 seed for the noise (default: a fresh random seed per process)
//   FAKE_QUANT_SEED_FILE            a counter file: each process takes its number as seed and increments it
//                                   (reproducible noise that still differs between processes)
//   FAKE_QUANT_FAIL_KV              comma-separated KV types that fail like an unimplemented type
//   FAKE_QUANT_BACKEND_USED         report this backend instead of the requested one
//   FAKE_QUANT_UNSUPPORTED_BACKEND  this backend cannot run the model: quant's "unsupported" exit (3)
//   FAKE_QUANT_SLEEP_S              sleep this long before answering (timeout tests)
//   FAKE_QUANT_LOG                  append "<k>,<v> <mode> <depth|ctx> <backend> <FAKE_QUANT_ARM>" per invocation
//   FAKE_QUANT_COMMIT               build.git_commit (default "fake0000")
//   FAKE_QUANT_RUN_NOISE            relative standard deviation of a factor shared by a process's timings
//                                   (machine state that changes between processes; default 0)
//   FAKE_QUANT_SLOWDOWN_KV          comma-separated K types FAKE_QUANT_SLOWDOWN applies to (default: all)
//   FAKE_QUANT_SPEED                per K type speed relative to fp32 (replacing the built-in one),
//                                   e.g. "turbo_kv_4b=0.93,q8_0=1.1"
//   FAKE_QUANT_PPL_DELTA            per K type relative PPL change vs fp32, e.g. "turbo_kv_3b=0.063"
//   FAKE_QUANT_SAME_AS              report a K type's quality figures as another's, e.g. "turbo_kv_4b=fp32"
//   FAKE_QUANT_BITS                 per type bits per element, e.g. "turbo_kv_3b=3"
//   FAKE_QUANT_VULKAN_BUILD         build.cmake_options.ENGINE_VULKAN to report whatever the backend
//   FAKE_QUANT_BAD_STDERR_KV        comma-separated K types that print bytes which are not UTF-8 (0xFF, a
//                                   cut sequence) to stderr and fail, like a model with a garbled arch string
//   FAKE_QUANT_PID_FILE             append this process's pid to the file (orphan checks)
// --serve-bench (quant's slice protocol, for duet timing): each slice's tok/s is the bench speed x a drift
// every process on the machine shares (a slow wave of the wall clock, period 12.6 s, relative amplitude
// FAKE_QUANT_DRIFT, default 0) x independent noise FAKE_QUANT_SLICE_NOISE (relative standard deviation,
// default 0.002).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "quant/error.h"
#include "quant/kv_advice.h"
#include "quant/sha256.h"

using nlohmann::json;

namespace {

std::string env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// "a=1.5,b=2" -> {a: 1.5, b: 2}
std::map<std::string, double> number_map(const char* name) {
  std::map<std::string, double> m;
  std::stringstream ss(env(name, ""));
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) m[item.substr(0, eq)] = std::atof(item.substr(eq + 1).c_str());
  }
  return m;
}

std::map<std::string, std::string> text_map(const char* name) {
  std::map<std::string, std::string> m;
  std::stringstream ss(env(name, ""));
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) m[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return m;
}

double bits_of(const std::string& t) {
  if (const auto o = number_map("FAKE_QUANT_BITS"); o.count(t)) return o.at(t);
  static const std::map<std::string, double> bits = {
      {"fp32", 32}, {"fp16", 16}, {"q8_0", 8.5}, {"q4_0", 4.5}, {"uniform_4b", 4.25}, {"turbo_kv_3b", 3.5},
      {"turbo_kv_4b", 4.5}, {"turbo_kv_5b", 5.5}, {"turbo_kv_4bo", 4.75}};
  auto it = bits.find(t);
  return it == bits.end() ? -1 : it->second;
}

// Cheaper types are a little slower in this fake (decode work), fp32 is the reference.
double speed_factor(const std::string& k, const std::string& v) {
  return 1.0 / (1.0 + 0.01 * (32 - bits_of(k)) + 0.005 * (32 - bits_of(v)));
}

double quality_penalty(const std::string& k, const std::string& v) {
  return 0.002 * (32 - bits_of(k)) + 0.001 * (32 - bits_of(v));
}

// The slice protocol of `quant --serve-bench`: the ready line, then one reply per "slice tg|pp N [DEPTH]".
int serve_slices(json ready, const std::string& k, double slow) {
  ready["schema"] = "quant.serve";
  ready["mode"] = "serve-bench";
  ready["ready"] = true;
  std::printf("%s\n", ready.dump().c_str());
  std::fflush(stdout);
  const std::string seed = env("FAKE_QUANT_SEED", "");
  std::mt19937_64 rng(seed.empty() ? std::random_device{}() : std::stoull(seed));
  std::normal_distribution<double> noise(1.0, std::atof(env("FAKE_QUANT_SLICE_NOISE", "0.002").c_str()));
  const double drift = std::atof(env("FAKE_QUANT_DRIFT", "0").c_str());
  const auto speeds = number_map("FAKE_QUANT_SPEED");
  const double factor = speeds.count(k) ? speeds.at(k) : speed_factor(k, ready["kv"]["v_type"].get<std::string>());
  for (std::string line; std::getline(std::cin, line) && line != "quit";) {
    std::istringstream in(line);
    std::string word, kind;
    int n = 0, depth = 0;
    in >> word >> kind >> n >> depth;
    if (word != "slice" || (kind != "tg" && kind != "pp") || n < 1) {
      std::printf("{\"ok\": false, \"error\": \"bad command\"}\n");
      std::fflush(stdout);
      continue;
    }
    const double t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double base = std::atof(env(kind == "tg" ? "FAKE_QUANT_TG" : "FAKE_QUANT_PP", kind == "tg" ? "1000" : "5000").c_str());
    const double tok_s = std::max(1.0, base * factor / (1.0 + depth / 4096.0) / slow *
                                           (1 + drift * std::sin(t * 0.5)) * noise(rng));
    std::printf("%s\n", json{{"ok", true}, {"kind", kind}, {"tokens", n}, {"depth", depth}, {"seconds", n / tok_s},
                             {"tok_s", tok_s}}.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

// The flags quant takes that the harness passes.
struct Args {
  std::string model, text, k = "turbo_kv_4b", v = "fp16", backend = "cpu";
  int ctx = 512, chunks = 0, n_prompt = 0, n_gen = 0, reps = 1, depth = 0, threads = 1;
  bool kld = false, bench = false, serve = false;
};

// 0, or the exit code of a bad command line.
int parse_args(const std::vector<std::string>& a, Args& r) {
  for (size_t i = 0; i < a.size(); ++i) {
    auto next = [&] { return i + 1 < a.size() ? a[++i] : std::string(); };
    if (a[i] == "--ppl") r.text = next();
    else if (a[i] == "-c") r.ctx = std::stoi(next());
    else if (a[i] == "--chunks") r.chunks = std::stoi(next());
    else if (a[i] == "--kld") r.kld = true;
    else if (a[i] == "--bench") r.bench = true;
    else if (a[i] == "--serve-bench") r.serve = true;
    else if (a[i] == "-p") r.n_prompt = std::stoi(next());
    else if (a[i] == "-n") r.n_gen = std::stoi(next());
    else if (a[i] == "-r") r.reps = std::stoi(next());
    else if (a[i] == "--depth") r.depth = std::stoi(next());
    else if (a[i] == "-k") r.k = next();
    else if (a[i] == "-v") r.v = next();
    else if (a[i] == "-t") r.threads = std::stoi(next());
    else if (a[i] == "--backend") r.backend = next();
    else if (a[i] == "--json") {
    } else if (r.model.empty()) r.model = a[i];
    else {
      std::fprintf(stderr, "quant: error: unexpected argument %s\n", a[i].c_str());
      return 2;
    }
  }
  return 0;
}

// What happens before the model is read: the log and pid files, the delay, the refused KV types. 0 to
// go on, else the exit code.
int before_loading(const Args& r) {
  if (const std::string log = env("FAKE_QUANT_LOG", ""); !log.empty())
    std::ofstream(log, std::ios::app) << r.k << "," << r.v << " " << (r.bench ? "bench" : "ppl") << " "
                                      << (r.bench ? r.depth : r.ctx) << " " << r.backend << " "
                                      << env("FAKE_QUANT_ARM", "") << "\n";
  if (const std::string f = env("FAKE_QUANT_PID_FILE", ""); !f.empty())
    std::ofstream(f, std::ios::app) << getpid() << "\n";
  if (("," + env("FAKE_QUANT_BAD_STDERR_KV", "") + ",").find("," + r.k + ",") != std::string::npos) {
    std::fprintf(stderr, "quant: error: unknown architecture '\xff\xfellama\xe2\x82'\n");
    return 1;
  }
  if (const double s = std::atof(env("FAKE_QUANT_SLEEP_S", "0").c_str()); s > 0)
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  std::fprintf(stderr, "fake_quant: loading %s\n", r.model.c_str());
  std::string fail = ",";
  fail += env("FAKE_QUANT_FAIL_KV", "");
  fail += ",";
  for (const auto& t : {r.k, r.v})
    if (fail.find(std::string(",").append(t).append(",")) != std::string::npos) {
      std::fprintf(stderr, "quant: error: KV cache type %s is not implemented in this build\n", t.c_str());
      return 1;
    }
  if (!env("FAKE_QUANT_UNSUPPORTED_BACKEND", "").empty() && env("FAKE_QUANT_UNSUPPORTED_BACKEND", "") == r.backend) {
    std::fprintf(stderr, "quant: error: --backend %s: tensor blk.0.attn_q.weight has type Q4_K, which the backend "
                 "cannot multiply by (use --backend cpu)\n", r.backend.c_str());
    return quant::kExitUnsupported;
  }
  if (bits_of(r.k) < 0 || bits_of(r.v) < 0) {
    std::fprintf(stderr, "quant: error: -k: unknown KV cache type\n");
    return 2;
  }
  return 0;
}

constexpr int kLayers = 5, kHeadsKv = 4, kHeadDim = 8;

// Everything of the JSON but the bench or perplexity section.
json run_header(const Args& r, const std::string& model_sha) {
  const double elems = kLayers * kHeadsKv * kHeadDim;
  const double kb = elems * bits_of(r.k) / 8, vb = elems * bits_of(r.v) / 8;
  json j;
  j["schema"] = "quant.run";
  j["schema_version"] = 1;
  j["mode"] = r.bench ? "bench" : "perplexity";
  j["date"] = "2026-01-01T00:00:00Z";
  j["build"] = {{"git_commit", env("FAKE_QUANT_COMMIT", "fake0000")}, {"git_dirty", false}, {"compiler", "GNU 12.2.0"},
                {"cxx_flags", "-O3 -DNDEBUG"}, {"build_type", "Release"},
                {"cmake_options", {{"ENGINE_VULKAN", env("FAKE_QUANT_VULKAN_BUILD", r.backend == "vulkan" ? "ON" : "OFF")},
                                   {"QUANT_NATIVE", "ON"}}},
                {"simd", "avx2"}};
  j["system"] = {{"cpu_model", "Fake CPU"}, {"n_cores", 2}, {"os", "Linux"}};
  j["config"] = {{"threads", r.threads}, {"batch", 512}, {"seed", 0}, {"k_type", r.k}, {"v_type", r.v}, {"n_ctx", r.ctx}};
  j["model"] = {{"path", r.model}, {"sha256", model_sha}, {"name", "fake"}, {"synthetic", false}, {"arch", "llama"},
                {"n_params", 292800}, {"n_layer", kLayers}, {"n_head", 8}, {"n_head_kv", kHeadsKv},
                {"head_dim", kHeadDim}, {"n_embd", 64}, {"n_vocab", 512}};
  j["backend"] = {{"requested", r.backend}, {"used", env("FAKE_QUANT_BACKEND_USED", r.backend)}, {"device", "fake"},
                  {"driver", "none"}};
  j["kv"] = {{"k_type", r.k}, {"v_type", r.v}, {"k_bytes_per_token", kb}, {"v_bytes_per_token", vb},
             {"k_bits_per_element", bits_of(r.k)}, {"v_bits_per_element", bits_of(r.v)},
             {"compression", {{"k_vs_fp16", elems * 2 / kb}, {"k_vs_fp32", elems * 4 / kb},
                              {"kv_vs_fp16", elems * 4 / (kb + vb)}, {"kv_vs_fp32", elems * 8 / (kb + vb)}}}};
  // As quant does: a warning when a KV type is known to be poor at this head dim.
  const auto kt = quant::parse_kv_type(r.k), vt = quant::parse_kv_type(r.v);
  j["warnings"] = kt && vt ? quant::kv_type_warnings(*kt, *vt, kHeadDim) : std::vector<std::string>{};
  return j;
}

// FAKE_QUANT_SLOWDOWN where it applies to K type k, else 1.
double slowdown(const std::string& k) {
  const std::string slow_kv = "," + env("FAKE_QUANT_SLOWDOWN_KV", k) + ",";
  return slow_kv.find("," + k + ",") != std::string::npos ? std::atof(env("FAKE_QUANT_SLOWDOWN", "1").c_str()) : 1.0;
}

json bench_section(const Args& r) {
  std::string seed_text = env("FAKE_QUANT_SEED", "");
  if (const std::string counter = env("FAKE_QUANT_SEED_FILE", ""); !counter.empty()) {
    unsigned long long n = 0;
    std::ifstream(counter) >> n;
    std::ofstream(counter, std::ios::trunc) << n + 1;
    seed_text = std::to_string(n * 7919 + 17);
  }
  std::mt19937_64 rng(seed_text.empty() ? std::random_device{}() : std::stoull(seed_text));
  std::normal_distribution<double> noise(1.0, std::atof(env("FAKE_QUANT_NOISE", "0.02").c_str()));
  const double slow = slowdown(r.k);
  const auto speeds = number_map("FAKE_QUANT_SPEED");
  std::normal_distribution<double> run_noise(1.0, std::atof(env("FAKE_QUANT_RUN_NOISE", "0").c_str()));
  const double f = (speeds.count(r.k) ? speeds.at(r.k) : speed_factor(r.k, r.v)) / (1.0 + r.depth / 4096.0) / slow *
                   std::max(0.1, run_noise(rng));
  auto series = [&](double base, int n) {
    json x = json::array();
    for (int i = 0; i < (n > 0 ? r.reps : 0); ++i) x.push_back(std::max(1.0, base * f * noise(rng)));
    return x;
  };
  const json pp = series(std::atof(env("FAKE_QUANT_PP", "5000").c_str()), r.n_prompt);
  const json tg = series(std::atof(env("FAKE_QUANT_TG", "1000").c_str()), r.n_gen);
  return {{"n_prompt", r.n_prompt}, {"n_gen", r.n_gen}, {"depth", r.depth}, {"reps", r.reps}, {"warmup_reps", 1},
          {"seed", 1}, {"max_tokens_in_cache", r.depth + std::max(r.n_prompt, r.n_gen)}, {"test_delay_us", 0},
          {"pp", {{"tok_s", pp}, {"seconds", json::array()}, {"mean_tok_s", 0}}},
          {"tg", {{"tok_s", tg}, {"seconds", json::array()}, {"mean_tok_s", 0}}}};
}

// The perplexity (and with --kld the KLD) sections; 0, or the exit code when the text cannot be read.
int add_perplexity(const Args& r, json& j) {
  std::ifstream f(r.text, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "quant: error: --ppl %s: cannot open file\n", r.text.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const auto same = text_map("FAKE_QUANT_SAME_AS");
  const std::string qk = same.count(r.k) ? same.at(r.k) : r.k, qv = same.count(r.v) ? same.at(r.v) : r.v;
  const auto deltas = number_map("FAKE_QUANT_PPL_DELTA");
  const double rel = deltas.count(qk) ? deltas.at(qk) : quality_penalty(qk, qv);
  const double base = 6.0, ppl = base * (1 + rel);
  const int n_chunks = r.chunks ? r.chunks : 10, ctx = r.ctx;
  j["perplexity"] = {{"text_path", r.text}, {"text_sha256", quant::sha256_hex(ss.str())}, {"ctx", ctx},
                     {"n_tokens", n_chunks * ctx}, {"n_chunks", n_chunks}, {"n_scored", n_chunks * (ctx / 2 - 1)},
                     {"ppl", ppl}, {"ppl_uncertainty", 0.12}, {"nll_mean", std::log(ppl)},
                     {"max_tokens_in_cache", ctx}};
  if (r.kld)
    j["kld"] = {{"base_k_type", "fp32"}, {"base_v_type", "fp32"}, {"mean_kld", rel / 10},
                {"kld_uncertainty", rel / 100}, {"top1_agreement", 1 - rel},
                {"ppl_base", base}, {"ppl_delta", ppl - base}, {"ppl_delta_uncertainty", (ppl - base) / 10},
                {"ppl_ratio", ppl / base}, {"ppl_ratio_uncertainty", 0.0001}};
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args r;
  if (const int rc = parse_args(std::vector<std::string>(argv + 1, argv + argc), r)) return rc;
  if (const int rc = before_loading(r)) return rc;
  std::string model_sha;
  try {
    model_sha = quant::sha256_file(r.model);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant: error: %s\n", e.what());
    return 1;
  }
  json j = run_header(r, model_sha);
  if (r.serve) return serve_slices(j, r.k, slowdown(r.k));
  if (r.bench) {
    j["bench"] = bench_section(r);
  } else if (const int rc = add_perplexity(r, j)) {
    return rc;
  }
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}
