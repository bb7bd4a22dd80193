#include <fstream>
#include <string>

#include "quant/backend.h"
#include "quant/model.h"
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
  void prepare(Model& model) override { model.regroup_for_cpu_decode(); }
  void matmul(const Tensor& W, const float* x, int n_tok, float* y) override {
    ++stats_.dispatches;
    quant::matmul(pool_, W, x, n_tok, y);
  }
  void matmul_many(const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys) override {
    stats_.dispatches += static_cast<uint64_t>(count);
    quant::matmul_many(pool_, Ws, count, x, n_tok, ys);
  }

 private:
  ThreadPool& pool_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool) { return std::make_unique<CpuBackend>(pool); }

}  // namespace quant
