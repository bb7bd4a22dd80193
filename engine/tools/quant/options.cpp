#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "llama_flags.h"
#include "quant/backend_factory.h"
#include "quant/build_info.h"

namespace quant::cli {

namespace {

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "quant: error: %s\n", msg.c_str());
  std::exit(2);
}

KvType parse_kv(const std::string& flag, const std::string& value) {
  auto t = parse_kv_type(kv_alias(value));
  if (!t) usage_error(flag + ": unknown KV cache type '" + value + "' (valid: " + kv_type_list() + "; f16, f32 as in llama.cpp)");
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

// "128,512" -> each item parsed by one; an empty item is an error.
template <typename T, typename Parse>
std::vector<T> parse_list(const std::string& flag, const std::string& value, Parse one) {
  std::vector<T> out;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) usage_error(flag + ": empty item in the list '" + value + "'");
    out.push_back(one(item));
  }
  if (out.empty() || value.back() == ',') usage_error(flag + ": empty item in the list '" + value + "'");
  return out;
}

std::vector<int> int_list(const std::string& flag, const std::string& value, int lo, int hi) {
  return parse_list<int>(flag, value, [&](const std::string& v) { return parse_int(flag, v, lo, hi); });
}

std::vector<KvType> kv_list(const std::string& flag, const std::string& value) {
  return parse_list<KvType>(flag, value, [&](const std::string& v) { return parse_kv(flag, v); });
}

BenchFormat parse_format(const std::string& value) {
  if (value == "md") return BenchFormat::md;
  if (value == "csv") return BenchFormat::csv;
  if (value == "json") return BenchFormat::json;
  if (value == "jsonl") return BenchFormat::jsonl;
  usage_error("-o: unknown output format '" + value + "' (valid: md, csv, json, jsonl)");
}

// The flags' text before validation: values that are lists with --bench, or text or a number by mode.
struct RawArgs {
  std::string positional_model, prompt, n = "128", p = "128", threads, batch = "512", depth = "0";
  std::string k = "turbo_kv_4b", v = "fp16", format, depth_fill = "prefill";
  bool bench = false, info = false, serve = false;
};

void add_flags(CLI::App& app, Options& o, RawArgs& r) {
  app.option_defaults()->always_capture_default();
  const std::string list = " (--bench: a comma list sweeps values)";
  app.add_option("model", r.positional_model, "GGUF model file");
  app.add_option("-m,--model", o.model, "GGUF model file (alternative to the positional argument)");
  app.add_option("-p,--prompt", r.prompt, "generate: prompt text; --bench: prompt tokens, pp (default 128; a comma list sweeps values)")
      ->type_name("TEXT|INT");
  app.add_option("-n,--n-predict", r.n, "generate: tokens to produce; --bench: generated tokens (tg)" + list)
      ->type_name("INT");
  app.add_option("--temp", o.temperature, "sampling temperature (0 = greedy)")->check(CLI::Range(0.0f, 100.0f));
  app.add_option("--top-k", o.top_k, "sample among the k most likely tokens (0 = all)")->check(CLI::Range(0, 1 << 30));
  app.add_option("--top-p", o.top_p, "nucleus sampling mass")->check(CLI::Range(0.0f, 1.0f));
  app.add_option("-s,--seed", o.seed, "random seed (sampling, bench tokens)");
  app.add_option("--ppl", o.ppl_file, "compute perplexity of this text file");
  app.add_option("-c,--ctx-size", o.n_ctx,
                 "context size in tokens (default: generate min(training context, 4096); --ppl 512; --bench what it needs)")
      ->check(CLI::Range(1, 1 << 24))->default_str("");
  app.add_option("--chunks", o.chunks, "perplexity: at most this many chunks (default: all)")
      ->check(CLI::Range(1, 1 << 30))->default_str("");
  app.add_flag("--kld", o.kld, "perplexity: also run an fp32-cache pass and report KL divergence");
  app.add_flag("--bench", r.bench, "measure prompt-processing and generation speed");
  app.add_option("-r,--repetitions", o.reps, "bench repetitions")->check(CLI::Range(1, 100000));
  app.add_option("-d,--depth", r.depth, "bench: tokens already in the cache" + list)->type_name("INT");
  app.add_option("--depth-fill", r.depth_fill,
                 "bench: how the depth gets into the cache: prefill (run the model over random tokens) or random "
                 "(encode random keys and values: the same decode and prompt timings, far quicker to set up)")
      ->type_name("prefill|random");
  app.add_option("-o,--output", r.format, "bench: output format md, csv, json (one array) or jsonl (default md)");
  app.add_flag("--probe-bandwidth", o.probe_bandwidth,
               "bench: measure the read bandwidth after every 8 generated tokens and report the fraction of it decode reaches");
  app.add_flag("--info", r.info, "print model information");
  app.add_flag("--serve-bench", r.serve,
               "load once, then time slices read from stdin ('slice tg|pp N [DEPTH]'), one JSON line each");
  app.add_option("-t,--threads", r.threads, "worker threads (default: all cores)" + list)->type_name("INT");
  app.add_option("-b,--batch-size", r.batch, "tokens per forward call" + list)->type_name("INT");
  const std::string types = kv_type_list() + "; llama.cpp's f16, f32 too";
  app.add_option("-k,--cache-type-k", r.k, "K cache type (also -ctk): " + types + list)->type_name("TYPE");
  app.add_option("-v,--cache-type-v", r.v, "V (value) cache type, not verbose (also -ctv): " + types + list)
      ->type_name("TYPE");
  app.add_option("--backend", o.backend, "compute backend: cpu or vulkan (default: " + default_backend_name() + ")");
  app.add_option("--tokens", o.tokens, "evaluate these token ids (space separated)");
  app.add_option("--logits-out", o.logits_out, "with --tokens: write every position's logits here");
  app.add_flag("--json", o.json, "print one JSON object on stdout");
  app.add_flag("--mmap", o.mmap, "map the model file instead of copying the weights into huge-page memory (less memory, slower decode)");
}

void choose_mode(Options& o, const RawArgs& r) {
  if (!r.positional_model.empty() && !o.model.empty() && r.positional_model != o.model)
    usage_error("two different models given ('" + r.positional_model + "' and -m '" + o.model + "')");
  if (o.model.empty()) o.model = r.positional_model;
  if (o.model.empty()) usage_error("no model given (quant MODEL.gguf ... or -m MODEL.gguf)");

  int modes = r.bench + r.info + r.serve + !o.ppl_file.empty() + !o.tokens.empty();
  if (modes > 1) usage_error("choose one of --bench, --info, --ppl, --tokens, --serve-bench");
  if (r.bench) o.mode = Mode::bench;
  else if (r.info) o.mode = Mode::info;
  else if (!o.ppl_file.empty()) o.mode = Mode::perplexity;
  else if (!o.tokens.empty()) o.mode = Mode::logits;
  else if (r.serve) o.mode = Mode::serve_bench;
  if (o.mode != Mode::logits && !o.logits_out.empty()) usage_error("--logits-out needs --tokens");
  if (o.kld && o.mode != Mode::perplexity) usage_error("--kld needs --ppl");
  if (o.probe_bandwidth && o.mode != Mode::bench) usage_error("--probe-bandwidth needs --bench");
}

// Lists of values; outside --bench every list must hold one value.
void read_values(Options& o, const RawArgs& r, const CLI::App& app) {
  const bool bench = o.mode == Mode::bench;
  if (!bench && app.count("--depth")) usage_error("--depth needs --bench");
  if (!bench && app.count("--depth-fill")) usage_error("--depth-fill needs --bench");
  if (r.depth_fill != "prefill" && r.depth_fill != "random")
    usage_error("--depth-fill: unknown value '" + r.depth_fill + "' (valid: prefill, random)");
  o.random_depth = r.depth_fill == "random";
  if (!bench && app.count("--output")) usage_error("-o needs --bench (other modes print text, or JSON with --json)");
  BenchSweep& s = o.sweep;
  const std::string cores = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  s.threads = int_list("-t", r.threads.empty() ? cores : r.threads, 1, 1024);
  s.batch = int_list("-b", r.batch, 1, 1 << 16);
  s.k_types = kv_list("-k/-ctk", r.k);
  s.v_types = kv_list("-v/-ctv", r.v);
  s.depth = int_list("--depth", r.depth, 0, 1 << 24);
  if (bench) {
    s.n_prompt = int_list("-p", r.prompt.empty() ? r.p : r.prompt, 0, 1 << 20);
    s.n_gen = int_list("-n", r.n, 0, 1 << 20);
  } else {
    o.prompt = r.prompt;
    s.n_prompt = {o.n_prompt};
    s.n_gen = {parse_int("-n", r.n, 0, 1 << 24)};
  }
  if (!bench)
    for (const auto& [flag, n] : std::initializer_list<std::pair<const char*, size_t>>{
             {"-t", s.threads.size()}, {"-b", s.batch.size()}, {"-k/-ctk", s.k_types.size()}, {"-v/-ctv", s.v_types.size()}})
      if (n > 1) usage_error(std::string(flag) + ": a comma list of values sweeps them with --bench only");
  o.n_prompt = s.n_prompt[0];
  o.n_predict = s.n_gen[0];
  o.threads = s.threads[0];
  o.batch = s.batch[0];
  o.k_type = s.k_types[0];
  o.v_type = s.v_types[0];
  o.depth = s.depth[0];
}

void check_bench(Options& o, const RawArgs& r) {
  if (!r.format.empty()) {
    if (o.json) usage_error("-o and --json: choose one (--json prints one quant.run object, -o json an array)");
    o.bench_format = parse_format(r.format);
  }
  const BenchSweep& s = o.sweep;
  if (o.json && s.points() > 1)
    usage_error("--json prints one object, but the lists give " + std::to_string(s.points()) +
                " runs: use -o json (an array) or -o jsonl");
  for (int p : s.n_prompt)
    for (int n : s.n_gen)
      if (p == 0 && n == 0) usage_error("--bench: -p and -n are both 0, nothing to measure");
  for (int n : s.n_gen)
    if (o.probe_bandwidth && n < kProbeEvery)
      usage_error("--probe-bandwidth: needs -n " + std::to_string(kProbeEvery) + " or more (one probe pass per " +
                  std::to_string(kProbeEvery) + " generated tokens)");
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  RawArgs r;
  CLI::App app{"quant: LLM inference with compressed KV caches"};
  app.set_help_flag("-h,--help", "Show this help");
  app.set_version_flag("--version", version_text("quant"), "Show the version, commit, build type and options");
  add_flags(app, o, r);
  const TranslatedArgs t = translate_llama_flags(argc, argv);
  if (!t.error.empty()) usage_error(t.error);
  std::vector<char*> args;
  for (const auto& a : t.args) args.push_back(const_cast<char*>(a.c_str()));
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::Success& e) {  // --help, --version
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    usage_error(e.what());
  }
  choose_mode(o, r);
  read_values(o, r, app);
  if (o.mode == Mode::bench) check_bench(o, r);
  if (!o.backend.empty() && o.backend != "cpu" && o.backend != "vulkan")
    usage_error("--backend: unknown backend '" + o.backend + "' (valid: cpu, vulkan)");
  if (o.probe_bandwidth && !o.backend.empty() && o.backend != "cpu")
    usage_error("--probe-bandwidth: measures the CPU's memory bandwidth; use it with --backend cpu");
  return o;
}

}  // namespace quant::cli
