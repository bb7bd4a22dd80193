#include "context.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "quant/backend_factory.h"
#include "quant/error.h"
#include "quant/kv_advice.h"

namespace quant::cli {

Context::Context(const Options& o) {
  model = Model::load(o.model, o.mmap ? WeightMemory::mmap : WeightMemory::copy);
  pool = std::make_unique<ThreadPool>(o.threads);
  backend_requested = o.backend.empty() ? default_backend_name() : o.backend;
  backend = make_backend(backend_requested, *pool);
  // The CPU matmuls decode faster from regrouped Q4_0 rows; other backends read the file's layout.
  if (backend->name() == "cpu") model->regroup_for_cpu_decode();
}

std::unique_ptr<Session> Context::session(const Options& o, int n_ctx, KvType k, KvType v) const {
  SessionOptions so;
  so.n_ctx = n_ctx;
  so.k_type = k;
  so.v_type = v;
  so.max_batch = o.batch;
  auto s = std::make_unique<Session>(*model, *pool, *backend, so);
  // A poor choice for this model is allowed (defaults stay defaults) but never silent.
  for (const auto& w : kv_type_warnings(k, v, s->cache().config().head_dim))
    std::fprintf(stderr, "quant: warning: %s\n", w.c_str());
  return s;
}

void emit_json(const nlohmann::json& j) {
  const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string read_text_file(const std::string& flag, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(flag + " " + path + ": cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw InputError(flag + " " + path + ": read error");
  std::string s = ss.str();
  if (s.empty()) throw InputError(flag + " " + path + ": file is empty");
  if (s.find('\0') != std::string::npos) throw InputError(flag + " " + path + ": contains NUL bytes, not a text file");
  return s;
}

}  // namespace quant::cli
