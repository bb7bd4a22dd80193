#pragma once
// Next-token choice: greedy at temperature 0, else temperature + top-k + top-p sampling.
#include <cstdint>
#include <random>
#include <vector>

namespace quant {

struct SamplerOptions {
  float temperature = 0.8f;
  int top_k = 40;      // 0 = no limit
  float top_p = 0.95f; // 1 = no limit
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& opts) : opts_(opts), rng_(opts.seed) {}
  int sample(const float* logits, int n_vocab);

 private:
  SamplerOptions opts_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int>> cand_;
};

}  // namespace quant
