#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace quant::cli {

namespace {

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "quant: error: %s\n", msg.c_str());
  std::exit(2);
}

KvType parse_kv(const std::string& flag, const std::string& value) {
  auto t = parse_kv_type(value);
  if (!t) usage_error(flag + ": unknown KV cache type '" + value + "' (valid: " + kv_type_list() + ")");
  return *t;
}

int parse_int(const std::string& flag, const std::string& value, int lo, int hi) {
  try {
    size_t used = 0;
    long long v = std::stoll(value, &used);
    if (used != value.size() || v < lo || v > hi) throw std::out_of_range("");
    return static_cast<int>(v);
  } catch (const std::exception&) {
    usage_error(flag + ": '" + value + "' is not an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"quant: LLM inference with compressed KV caches"};
  app.set_help_flag("-h,--help", "Show this help");
  std::string positional_model, k_name = "turbo_kv_4b", v_name = "fp16", prompt_arg, n_arg;
  bool mode_bench = false, mode_info = false, mode_serve = false;
  app.add_option("model", positional_model, "GGUF model file");
  app.add_option("-m,--model", o.model, "GGUF model file (alternative to the positional argument)");
  app.add_option("-p,--prompt", prompt_arg, "generate: prompt text; --bench: prompt tokens (pp)");
  app.add_option("-n,--n-predict", n_arg, "generate: tokens to produce; --bench: generated tokens (tg)");
  app.add_option("--temp", o.temperature, "sampling temperature (0 = greedy)")->check(CLI::Range(0.0f, 100.0f));
  app.add_option("--top-k", o.top_k, "sample among the k most likely tokens (0 = all)")->check(CLI::Range(0, 1 << 30));
  app.add_option("--top-p", o.top_p, "nucleus sampling mass")->check(CLI::Range(0.0f, 1.0f));
  app.add_option("--seed", o.seed, "random seed (sampling, bench tokens)");
  app.add_option("--ppl", o.ppl_file, "compute perplexity of this text file");
  app.add_option("-c,--ctx-size", o.n_ctx, "context size (tokens)")->check(CLI::Range(1, 1 << 24));
  app.add_option("--chunks", o.chunks, "perplexity: at most this many chunks")->check(CLI::Range(1, 1 << 30));
  app.add_flag("--kld", o.kld, "perplexity: also run an fp32-cache pass and report KL divergence");
  app.add_flag("--bench", mode_bench, "measure prompt-processing and generation speed");
  app.add_option("-r,--repetitions", o.reps, "bench repetitions")->check(CLI::Range(1, 100000));
  app.add_option("--depth", o.depth, "bench: tokens already in the cache")->check(CLI::Range(0, 1 << 24));
  app.add_flag("--probe-bandwidth", o.probe_bandwidth,
               "bench: measure the read bandwidth after every 8 generated tokens and report the fraction of it decode reaches");
  app.add_flag("--info", mode_info, "print model information");
  app.add_flag("--serve-bench", mode_serve, "load once, then time slices read from stdin ('slice tg|pp N [DEPTH]'), one JSON line each");
  app.add_option("-t,--threads", o.threads, "worker threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("-b,--batch-size", o.batch, "tokens per forward call")->check(CLI::Range(1, 1 << 16));
  app.add_option("-k,--cache-type-k", k_name, "K cache type: " + kv_type_list());
  app.add_option("-v,--cache-type-v", v_name, "V cache type: " + kv_type_list());
  app.add_option("--backend", o.backend, "compute backend: cpu or vulkan");
  app.add_option("--tokens", o.tokens, "evaluate these token ids (space separated)");
  app.add_option("--logits-out", o.logits_out, "with --tokens: write every position's logits here");
  app.add_flag("--json", o.json, "print one JSON object on stdout");
  app.add_flag("--mmap", o.mmap, "map the model file instead of copying the weights into huge-page memory (less memory, slower decode)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    usage_error(e.what());
  }

  if (!positional_model.empty() && !o.model.empty() && positional_model != o.model)
    usage_error("two different models given ('" + positional_model + "' and -m '" + o.model + "')");
  if (o.model.empty()) o.model = positional_model;
  if (o.model.empty()) usage_error("no model given (quant MODEL.gguf ... or -m MODEL.gguf)");

  int modes = mode_bench + mode_info + mode_serve + !o.ppl_file.empty() + !o.tokens.empty();
  if (modes > 1) usage_error("choose one of --bench, --info, --ppl, --tokens, --serve-bench");
  if (mode_bench) o.mode = Mode::bench;
  else if (mode_info) o.mode = Mode::info;
  else if (!o.ppl_file.empty()) o.mode = Mode::perplexity;
  else if (!o.tokens.empty()) o.mode = Mode::logits;
  else if (mode_serve) o.mode = Mode::serve_bench;
  if (o.mode != Mode::logits && !o.logits_out.empty()) usage_error("--logits-out needs --tokens");
  if (o.kld && o.mode != Mode::perplexity) usage_error("--kld needs --ppl");
  if (o.probe_bandwidth && o.mode != Mode::bench) usage_error("--probe-bandwidth needs --bench");

  if (o.mode == Mode::bench) {
    if (!prompt_arg.empty()) o.n_prompt = parse_int("-p", prompt_arg, 0, 1 << 20);
    if (!n_arg.empty()) o.n_predict = parse_int("-n", n_arg, 0, 1 << 20);
    if (o.n_prompt == 0 && o.n_predict == 0) usage_error("--bench: -p and -n are both 0, nothing to measure");
    if (o.probe_bandwidth && o.n_predict < kProbeEvery)
      usage_error("--probe-bandwidth: needs -n " + std::to_string(kProbeEvery) + " or more (one probe pass per " +
                  std::to_string(kProbeEvery) + " generated tokens)");
  } else {
    o.prompt = prompt_arg;
    if (!n_arg.empty()) o.n_predict = parse_int("-n", n_arg, 0, 1 << 24);
  }
  o.k_type = parse_kv("-k", k_name);
  o.v_type = parse_kv("-v", v_name);
  if (o.threads == 0) o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!o.backend.empty() && o.backend != "cpu" && o.backend != "vulkan")
    usage_error("--backend: unknown backend '" + o.backend + "' (valid: cpu, vulkan)");
  if (o.probe_bandwidth && !o.backend.empty() && o.backend != "cpu")
    usage_error("--probe-bandwidth: measures the CPU's memory bandwidth; use it with --backend cpu");
  return o;
}

}  // namespace quant::cli
