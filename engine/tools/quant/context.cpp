#include "context.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "quant/backend_factory.h"
#include "quant/error.h"
#include "quant/kv_codec.h"
#include "quant/kv_advice.h"

namespace quant::cli {

Context::Context(const Options& o) {
  model = Model::load(o.model, o.mmap ? WeightMemory::mmap : WeightMemory::copy);
  backend_requested = o.backend.empty() ? default_backend_name() : o.backend;
  use_threads(o.threads);
  backend->prepare(*model);  // once per model: the CPU backend regroups rows for its decode kernels
}

void Context::use_threads(int n) {
  if (pool && n == threads) return;
  backend.reset();  // it holds the old pool
  pool = std::make_unique<ThreadPool>(n);
  backend = make_backend(backend_requested, *pool);
  threads = n;
}

std::unique_ptr<Session> Context::session(const Options& o, int n_ctx, KvType k, KvType v) const {
  check_cache_fits(*model, n_ctx, k, v);
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

void check_cache_fits(const Model& model, int n_ctx, KvType k, KvType v) {
  const ModelConfig& c = model.config();
  if (n_ctx <= 0) n_ctx = c.n_ctx_train;
  if (n_ctx <= 0 || c.head_dim <= 0) return;
  const double vectors = static_cast<double>(c.n_layer) * c.n_head_kv * n_ctx;
  const double bytes = vectors * static_cast<double>(make_kv_codec(k, c.head_dim, 0)->bytes_per_vector() +
                                                     make_kv_codec(v, c.head_dim, 0)->bytes_per_vector());
  const double available = available_memory_bytes();
  if (available > 0 && bytes > available) {
    char msg[256];
    std::snprintf(msg, sizeof msg, "-c %d: the K/V cache would need %.0f MiB, more than the %.0f MiB of memory available",
                  n_ctx, bytes / (1 << 20), available / (1 << 20));
    throw InputError(msg);
  }
}

double available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    double kib = 0;
    std::string unit;
    f >> kib >> unit;
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

void emit_json(const nlohmann::json& j) {
  const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string read_text_file(const std::string& flag, const std::string& path) {
  // Checked before opening: a FIFO would block, /dev/zero would never end, a folder reads as empty.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw InputError(flag + " " + path + ": is a folder, not a text file");
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw InputError(flag + " " + path + ": not a regular file (a device, pipe or socket)");
  constexpr uintmax_t kMaxText = uintmax_t{1} << 30;
  if (fs::exists(st) && fs::file_size(path, ec) > kMaxText)
    throw InputError(flag + " " + path + ": larger than the 1 GiB a text file may have");
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
