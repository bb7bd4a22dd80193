#pragma once
// Where the weight matmuls run. The CPU backend is always present; accelerator backends plug in here.
#include <cstdint>
#include <memory>
#include <string>

#include "quant/tensor.h"
#include "quant/thread_pool.h"

namespace quant {

struct BackendStats {
  uint64_t submits = 0;     // command submissions to a device (0 on CPU)
  uint64_t dispatches = 0;  // kernel launches / matmul calls
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;         // "cpu", "vulkan"
  virtual std::string device_name() const = 0;
  virtual std::string driver() const = 0;
  // y[t][r] = dot(W.row(r), x[t]) for t < n_tok.
  virtual void matmul(const Tensor& W, const float* x, int n_tok, float* y) = 0;
  const BackendStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 protected:
  BackendStats stats_;
};

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool);

}  // namespace quant
