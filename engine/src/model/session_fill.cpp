// A cache made long without running the model: what `quant --bench --depth-fill random` measures behind.
#include <random>

#include "quant/error.h"
#include "quant/session.h"

namespace quant {

void Session::fill_random(int n, uint64_t seed) {
  if (n < 0 || n > n_ctx_)
    throw InputError("depth " + std::to_string(n) + " does not fit the context size " + std::to_string(n_ctx_) +
                     " (raise -c)");
  const KvCacheConfig& c = cache_->config();
  const size_t width = static_cast<size_t>(c.n_head_kv) * c.head_dim;
  std::vector<float> k(width), v(width);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> unit(0.0f, 1.0f);
  for (int layer = 0; layer < c.n_layer; ++layer)
    for (int pos = 0; pos < n; ++pos) {
      for (size_t i = 0; i < width; ++i) k[i] = unit(rng), v[i] = unit(rng);
      cache_->store(layer, pos, k.data(), v.data());
    }
  n_past_ = n;
}

}  // namespace quant
