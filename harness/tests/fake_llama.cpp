// fake_llama: a stand-in for llama.cpp's llama-bench and llama-perplexity (which one: the name it is run
// as) for the peer tests. It prints the tools' documented output formats (llama-bench -o json; the
// perplexity progress on stdout and "Final estimate: PPL = X +/- Y" on stderr) with values chosen
// through the environment:
//   FAKE_LLAMA_PP / FAKE_LLAMA_TG   tok/s of every pp / tg repetition (default 4000 / 800)
//   FAKE_LLAMA_PPL / FAKE_LLAMA_SE  the final perplexity and its uncertainty (default 6.0 / 0.4)
//   FAKE_LLAMA_BLOCK_LIMIT          quantised cache types fail as on a head dim their blocks do not divide
//                                   (llama-bench, like the real one, says why only with -v; llama-perplexity
//                                   says nothing, as when the real one's asynchronous log loses its lines)
//   FAKE_LLAMA_FAIL                 exit 1 with an unexplained error (a fault, not a limitation)
//   FAKE_LLAMA_THREADS              report this many threads whatever -t says
//   FAKE_LLAMA_LOG                  append the command line to this file
//   FAKE_LLAMA_LOSE_TAIL            a file holding a count N: the next N perplexity runs exit 0 without their
//                                   final line, as when the real tool's asynchronous log loses it
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

std::string env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int bench(std::map<std::string, std::string>& a) {
  static const std::set<std::string> types = {"f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"};
  for (const char* k : {"-ctk", "-ctv"})
    if (!types.count(a[k])) {
      std::fprintf(stderr, "error: invalid parameter for argument: %s\n", k);
      return 1;
    }
  const int reps = std::atoi(a["-r"].c_str()), threads = std::atoi(env("FAKE_LLAMA_THREADS", a["-t"]).c_str());
  json out = json::array();
  for (const bool pp : {true, false}) {
    const int n = std::atoi(a[pp ? "-p" : "-n"].c_str());
    if (n == 0) continue;
    const double ts = std::atof(env(pp ? "FAKE_LLAMA_PP" : "FAKE_LLAMA_TG", pp ? "4000" : "800").c_str());
    json t = {{"build_commit", "fake123"}, {"build_number", 42}, {"cpu_info", "Fake CPU"}, {"gpu_info", ""},
              {"backends", "CPU"}, {"model_filename", a["-m"]}, {"model_type", "llama ?B (guessed) all F32"},
              {"model_size", 1000}, {"model_n_params", 250}, {"n_batch", 2048}, {"n_ubatch", 512},
              {"n_threads", threads}, {"type_k", a["-ctk"]}, {"type_v", a["-ctv"]}, {"flash_attn", a["-fa"] == "on" ? 1 : 0},
              {"n_prompt", pp ? n : 0}, {"n_gen", pp ? 0 : n}, {"n_depth", std::atoi(a["-d"].c_str())},
              {"test_time", "2026-12-07T00:00:00Z"}, {"avg_ts", ts}};
    t["samples_ts"] = json::array();
    t["samples_ns"] = json::array();
    for (int i = 0; i < reps; ++i) {
      t["samples_ts"].push_back(ts * (1 + 0.01 * (i % 3)));
      t["samples_ns"].push_back(static_cast<long>(1e9 * n / ts));
    }
    out.push_back(t);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int perplexity(std::map<std::string, std::string>& a) {
  if (!std::ifstream(a["-f"])) {
    std::fprintf(stderr, "0.00.001.000 E perplexity: failed to open %s\n", a["-f"].c_str());
    return 1;
  }
  const int chunks = a.count("--chunks") ? std::atoi(a["--chunks"].c_str()) : 4;
  const int threads = std::atoi(env("FAKE_LLAMA_THREADS", a["-t"]).c_str());
  const double ppl = std::atof(env("FAKE_LLAMA_PPL", "6.0").c_str());
  std::fprintf(stderr, "0.00.132.718 I system_info: n_threads = %d (n_threads_batch = %d) / 2 | CPU : AVX2 = 1 | \n",
               threads, threads);
  std::fprintf(stderr, "0.00.132.785 I perplexity: tokenizing the input ..\n");
  std::fprintf(stderr, "0.00.315.932 I perplexity: calculating perplexity over %d chunks, n_ctx=%s, batch_size=2048, n_seq=8\n",
               chunks, a["-c"].c_str());
  for (int i = 1; i <= chunks; ++i) std::printf("[%d]%.4f,", i, ppl * (1 + 0.1 * (chunks - i) / chunks));
  std::printf("\n");
  if (const std::string f = env("FAKE_LLAMA_LOSE_TAIL", ""); !f.empty()) {
    int n = 0;
    std::ifstream(f) >> n;
    if (n > 0) {
      std::ofstream(f, std::ios::trunc) << n - 1;
      return 0;
    }
  }
  std::fprintf(stderr, "0.00.875.352 I Final estimate: PPL = %.4f +/- %.5f\n", ppl,
               std::atof(env("FAKE_LLAMA_SE", "0.4").c_str()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string self = argv[0], name = self.substr(self.find_last_of('/') + 1);
  std::map<std::string, std::string> a = {{"-t", "2"}, {"-ctk", "f16"}, {"-ctv", "f16"}, {"-fa", "auto"},
                                          {"-d", "0"}, {"-r", "5"}, {"-p", "512"}, {"-n", "128"}};
  std::string line = name;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    line += std::string(" ") + argv[i];
    if (std::string(argv[i]) == "-v") {
      verbose = true;
      continue;
    }
    if (std::string(argv[i]) == "--version") {
      std::fprintf(stderr, "version: 0 (fake)\nbuilt with fake for the harness tests\n");
      return 0;
    }
    if (i + 1 < argc) a[argv[i]] = argv[i + 1], ++i, line += std::string(" ") + argv[i];
  }
  if (const std::string log = env("FAKE_LLAMA_LOG", ""); !log.empty()) std::ofstream(log, std::ios::app) << line << "\n";
  if (!env("FAKE_LLAMA_FAIL", "").empty()) {
    std::fprintf(stderr, "something went wrong\n");
    return 1;
  }
  for (const char* k : {"-ctk", "-ctv"})
    if (!env("FAKE_LLAMA_BLOCK_LIMIT", "").empty() && (a[k] == "q8_0" || a[k] == "q4_0")) {
      if (name == "llama-perplexity") return 1;
      if (!verbose) {
        std::printf("[\n");
        std::fprintf(stderr, "llama_bench: error: failed to create context with model '%s'\n", a["-m"].c_str());
        return 1;
      }
      std::fprintf(stderr, "0.00.032.345 E llama_init_from_model: K cache type %s with block size 32 does not divide "
                           "n_embd_head_k=8\n0.00.052.184 E llama_perplexity: failed to create context\n", a[k].c_str());
      return 1;
    }
  return name == "llama-bench" ? bench(a) : perplexity(a);
}
