#pragma once
// Where the weight matmuls run. The CPU backend is always present; accelerator backends plug in here.
#include <cstdint>
#include <memory>
#include <string>

#include "quant/tensor.h"
#include "quant/thread_pool.h"

namespace quant {

class KvCache;
class Model;

struct BackendStats {
  uint64_t submits = 0;     // command submissions to a device (0 on CPU)
  uint64_t dispatches = 0;  // kernel launches / matmul calls
};

// One forward batch, as a session hands it to a backend that runs whole batches on its own device.
struct ForwardBatch {
  const Model& model;
  KvCache& cache;
  ThreadPool& pool;      // for the parts that stay on the host
  const int* tokens;     // n token ids, at positions pos0 .. pos0 + n - 1
  int n;
  int pos0;
  float* logits;         // null, or n_vocab floats for each of the n tokens (all_logits) / for the last one
  bool all_logits;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;         // "cpu", "vulkan"
  virtual std::string device_name() const = 0;
  virtual std::string driver() const = 0;
  // y[t][r] = dot(W.row(r), x[t]) for t < n_tok.
  virtual void matmul(const Tensor& W, const float* x, int n_tok, float* y) = 0;
  // ys[i] = Ws[i] x for several matrices of the same row length (Q, K, V; gate, up). Backends may run
  // them as one job; the default runs them one by one.
  virtual void matmul_many(const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys) {
    for (int i = 0; i < count; ++i) matmul(*Ws[i], x, n_tok, ys[i]);
  }
  // One-time preparation of a loaded model for this backend, before any session uses it (the CPU backend
  // regroups Q4_0/Q4_K rows for its decode kernels, bit-identical results). The default changes nothing.
  virtual void prepare(Model& model) {}
  // A backend that keeps activations on its device runs the whole batch itself and returns true.
  // false (the default) leaves it to the session's pass (model/forward.cpp), which calls matmul().
  virtual bool forward(const ForwardBatch& batch) { return false; }
  // What runs on the backend's device: "none" (cpu), "matmuls" (the weight matmuls), "layers" (every
  // layer step except RoPE and attention over the KV cache, which stay on the host).
  virtual std::string offload() const { return "none"; }
  const BackendStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 protected:
  BackendStats stats_;
};

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool);

}  // namespace quant
