#pragma once
// What every compute mode sets up: model, thread pool, backend, and a session with the chosen caches.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "options.h"
#include "quant/backend.h"
#include "quant/model.h"
#include "quant/session.h"
#include "quant/thread_pool.h"
#include "quant/tokenizer.h"

namespace quant::cli {

struct Context {
  std::unique_ptr<Model> model;
  std::unique_ptr<ThreadPool> pool;
  std::string backend_requested;
  std::unique_ptr<Backend> backend;
  int threads = 0;

  explicit Context(const Options& o);
  // A new pool (and backend on it) when n differs from the current thread count: --bench -t sweeps.
  void use_threads(int n);
  // A session of n_ctx tokens with the given cache types.
  std::unique_ptr<Session> session(const Options& o, int n_ctx, KvType k, KvType v) const;
  std::unique_ptr<Tokenizer> tokenizer() const { return Tokenizer::from_gguf(model->file()); }
};

// Prints the report on stdout as one JSON object (invalid UTF-8 in generated text is replaced).
void emit_json(const nlohmann::json& j);
// A text file (--ppl, --prompt-file): regular, at most 1 GiB, not empty, no NUL bytes.
std::string read_text_file(const std::string& flag, const std::string& path);

// Refuses a context whose K/V cache would not fit in the available memory, saying how much it needs
// (the cache is allocated, and zeroed, in full when the session starts).
void check_cache_fits(const Model& model, int n_ctx, KvType k, KvType v);
double available_memory_bytes();  // MemAvailable, 0 when unknown

}  // namespace quant::cli
