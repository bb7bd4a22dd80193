#pragma once
// Everything the quant command line can say, after validation.
#include <cstdint>
#include <string>
#include <vector>

#include "quant/kv_types.h"

namespace quant::cli {

// --probe-bandwidth: generated tokens per decode slice, each followed by one read pass.
constexpr int kProbeEvery = 8;

enum class Mode { generate, perplexity, bench, info, logits, serve_bench };

// --bench -o: llama-bench's output formats (md: the table; json: one array; jsonl: one object a line).
enum class BenchFormat { md, csv, json, jsonl };

// --bench: the comma lists of values; the sweep runs their cross product (one point when none is a list).
struct BenchSweep {
  std::vector<int> n_prompt, n_gen, depth, threads, batch;
  std::vector<KvType> k_types, v_types;
  size_t points() const {
    return n_prompt.size() * n_gen.size() * depth.size() * threads.size() * batch.size() * k_types.size() *
           v_types.size();
  }
};

struct Options {
  Mode mode = Mode::generate;
  std::string model;
  std::string prompt;         // generate: text
  int n_predict = 128;        // generate: tokens to produce; bench: tg tokens
  int n_prompt = 128;         // bench: pp tokens
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  uint64_t seed = 0;
  std::string ppl_file;
  int n_ctx = 0;              // 0 = default for the mode
  int chunks = 0;
  bool kld = false;
  int reps = 5;
  int depth = 0;
  bool random_depth = false;     // bench: --depth-fill random (the cache filled without running the model)
  bool probe_bandwidth = false;  // bench: read-bandwidth passes between decode slices
  int threads = 0;
  int batch = 512;
  KvType k_type = KvType::turbo_kv_4b;
  KvType v_type = KvType::fp16;
  std::string backend;        // requested backend name
  std::string tokens;         // logits mode: "ID ID ..."
  std::string logits_out;
  bool json = false;
  bool mmap = false;  // map the model file instead of copying it (WeightMemory)
  // --bench: every value of every list; the scalar fields above hold each list's first value.
  BenchSweep sweep;
  BenchFormat bench_format = BenchFormat::md;
};

// Parses argv; on bad input prints a one-line error and exits with code 2 (--help exits 0).
Options parse_options(int argc, char** argv);

}  // namespace quant::cli
