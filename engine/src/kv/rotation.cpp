#include "rotation.h"

#include <cmath>

#include "quant/dot.h"

namespace quant::kv {

namespace {

// splitmix64: a small, portable generator, so a seed gives the same rotation on every platform.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // in (0, 1)
};

}  // namespace

Rotation::Rotation(int dim, uint64_t seed) : dim_(dim), m_(static_cast<size_t>(dim) * dim) {
  const size_t n = static_cast<size_t>(dim);
  std::vector<double> g(n * n);
  SplitMix64 rng{seed};
  for (size_t i = 0; i < g.size(); i += 2) {  // Box-Muller pairs of standard normals
    const double r = std::sqrt(-2 * std::log(rng.uniform())), a = 2 * M_PI * rng.uniform();
    g[i] = r * std::cos(a);
    if (i + 1 < g.size()) g[i + 1] = r * std::sin(a);
  }
  // Modified Gram-Schmidt on the rows, twice per row so orthogonality holds to double rounding.
  // Normalising to positive length is the sign fix that makes the result exactly Haar.
  for (size_t i = 0; i < n; ++i) {
    double* ri = &g[i * n];
    for (int pass = 0; pass < 2; ++pass)
      for (size_t j = 0; j < i; ++j) {
        const double* rj = &g[j * n];
        double d = 0;
        for (size_t k = 0; k < n; ++k) d += ri[k] * rj[k];
        for (size_t k = 0; k < n; ++k) ri[k] -= d * rj[k];
      }
    double len = 0;
    for (size_t k = 0; k < n; ++k) len += ri[k] * ri[k];
    len = 1 / std::sqrt(len);
    for (size_t k = 0; k < n; ++k) ri[k] *= len;
  }
  for (size_t i = 0; i < g.size(); ++i) m_[i] = static_cast<float>(g[i]);
}

void Rotation::apply(const float* x, float* y) const {
  for (int i = 0; i < dim_; ++i) y[i] = dot_f32(row(i), x, dim_);
}

void Rotation::apply_inverse(const float* y, float* x) const {
  for (int k = 0; k < dim_; ++k) x[k] = 0;
  for (int i = 0; i < dim_; ++i) axpy_f32(y[i], row(i), x, dim_);
}

}  // namespace quant::kv
