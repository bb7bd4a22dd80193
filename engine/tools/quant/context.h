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
std::string read_text_file(const std::string& flag, const std::string& path);

}  // namespace quant::cli
