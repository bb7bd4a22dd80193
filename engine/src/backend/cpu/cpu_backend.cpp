#include <fstream>
#include <string>
#include <unordered_map>

#include "quant/backend.h"
#include "quant/matmul.h"

namespace quant {

namespace {

std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  return "unknown CPU";
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(ThreadPool& pool) : pool_(pool) {}
  std::string name() const override { return "cpu"; }
  std::string device_name() const override { return cpu_model_name(); }
  std::string driver() const override { return "none"; }
  void matmul(const Tensor& W, const float* x, int n_tok, float* y) override {
    const Tensor* w = &W;
    matmul_many(&w, 1, x, n_tok, &y);
  }
  void matmul_many(const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys) override {
    stats_.dispatches += static_cast<uint64_t>(count);
    quant::matmul_many(pool_, Ws, count, x, n_tok, ys, successor(Ws[0]));
  }

 private:
  // A forward pass multiplies by the same weights in the same order token after token, so the call that
  // followed this one last time names the weights the next call will most likely read (matmul_many uses
  // that to warm the cache while the host does the steps in between). Learned as calls arrive.
  // Kept by value: a prediction never points into a tensor object that may be gone.
  const Tensor* successor(const Tensor* first) {
    if (last_) next_[last_] = *first;
    last_ = first->data;
    const auto it = next_.find(first->data);
    return it == next_.end() ? nullptr : &it->second;
  }

  ThreadPool& pool_;
  std::unordered_map<const uint8_t*, Tensor> next_;  // first weights of a call -> those of the call after it
  const uint8_t* last_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool) { return std::make_unique<CpuBackend>(pool); }

}  // namespace quant
