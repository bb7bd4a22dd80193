#include "rotation.h"

#include <algorithm>
#include <cmath>

#include "quant/cpu_features.h"
#include "simd.h"

namespace quant::kv {

namespace {

// Scalar paths for head dimensions that are not a multiple of 8 (sums in double, like the reference).
float dot_f32(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}
void axpy_f32(float a, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}

// splitmix64: our own generator, so a seed means the same rotation whatever the C++ library (the std
// distributions are implementation-defined).
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

// Eight independent partial sums: vectorisable, and the same order of operations in every build.
double dot(const double* a, const double* b, size_t n) {
  double s[8] = {};
  size_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += a[k + l] * b[k + l];
  double tail = 0;
  for (; k < n; ++k) tail += a[k] * b[k];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

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
        const double d = dot(ri, rj, n);
        for (size_t k = 0; k < n; ++k) ri[k] -= d * rj[k];
      }
    const double len = 1 / std::sqrt(dot(ri, ri, n));
    for (size_t k = 0; k < n; ++k) ri[k] *= len;
  }
  for (size_t i = 0; i < g.size(); ++i) m_[i] = static_cast<float>(g[i]);
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
// y = R x, four rows at a time so each load of x serves four rows (dim a multiple of 8).
static void apply_avx2(const Rotation& r, const float* x, float* y) {
  const int dim = r.dim();
  auto row = [&r](int i) { return r.row(i); };
  int i = 0;
  for (; i + 4 <= dim; i += 4) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float *r0 = row(i), *r1 = row(i + 1), *r2 = row(i + 2), *r3 = row(i + 3);
    for (int k = 0; k < dim; k += 8) {
      const __m256 xk = _mm256_loadu_ps(x + k);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), xk, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k), xk, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k), xk, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k), xk, a3);
    }
    // Horizontal sums of the four accumulators at once.
    const __m256 h01 = _mm256_hadd_ps(a0, a1), h23 = _mm256_hadd_ps(a2, a3);
    const __m256 h = _mm256_hadd_ps(h01, h23);  // per 128-bit lane: partial sums of rows 0..3
    _mm_storeu_ps(y + i, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
  }
}

// x = R^T y = sum_i y_i R_i, 64 columns at a time held in registers (dim a multiple of 8).
static void apply_inverse_avx2(const Rotation& rot, const float* y, float* x) {
  const int dim = rot.dim();
  auto row = [&rot](int i) { return rot.row(i); };
  for (int c0 = 0; c0 < dim; c0 += 64) {
    const int width = std::min(64, dim - c0) / 8;
    __m256 a[8];
    for (int j = 0; j < 8; ++j) a[j] = _mm256_setzero_ps();
    for (int i = 0; i < dim; ++i) {
      const __m256 yi = _mm256_broadcast_ss(y + i);
      const float* r = row(i) + c0;
      for (int j = 0; j < width; ++j) a[j] = _mm256_fmadd_ps(yi, _mm256_loadu_ps(r + 8 * j), a[j]);
    }
    for (int j = 0; j < width; ++j) _mm256_storeu_ps(x + c0 + 8 * j, a[j]);
  }
}
QUANT_AVX2_END
#endif

void Rotation::apply(const float* x, float* y) const {
#ifdef QUANT_X86_TARGETS
  if (dim_ % 8 == 0 && avx2_selected()) return apply_avx2(*this, x, y);
#endif
  for (int i = 0; i < dim_; ++i) y[i] = dot_f32(row(i), x, dim_);
}

void Rotation::apply_inverse(const float* y, float* x) const {
#ifdef QUANT_X86_TARGETS
  if (dim_ % 8 == 0 && avx2_selected()) return apply_inverse_avx2(*this, y, x);
#endif
  for (int k = 0; k < dim_; ++k) x[k] = 0;
  for (int i = 0; i < dim_; ++i) axpy_f32(y[i], row(i), x, dim_);
}

}  // namespace quant::kv
