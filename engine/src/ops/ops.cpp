#include "quant/ops.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "ops/exp_avx2.h"
#include "quant/cpu_features.h"
#include "util/x86_target.h"

namespace quant {

void rmsnorm(const float* x, const float* w, float* y, int n, float eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void add_bias(float* x, const float* bias, int rows, int width) {
  for (int t = 0; t < rows; ++t)
    for (int i = 0; i < width; ++i) x[static_cast<size_t>(t) * width + i] += bias[i];
}

namespace {
// cos and sin of pos * freqs[i], kept for the next call: the keys of a position follow its queries with
// the same angles, and at small head dimensions (stories260K) these libm calls were 4% of a prompt.
struct RopeAngles {
  int pos = -1;
  std::vector<float> freqs, c, s;
  void compute(int p, const float* f, int half) {
    if (p == pos && static_cast<int>(freqs.size()) == half && std::memcmp(f, freqs.data(), sizeof(float) * half) == 0) return;
    pos = p;
    freqs.assign(f, f + half);
    c.resize(half);
    s.resize(half);
    for (int i = 0; i < half; ++i) {
      const double theta = p * static_cast<double>(f[i]);
      c[i] = static_cast<float>(std::cos(theta));
      s[i] = static_cast<float>(std::sin(theta));
    }
  }
};
}  // namespace

void rope(float* x, int n_heads, int head_dim, int n_rot, int pos, const float* freqs, bool neox) {
  const int half = n_rot / 2;
  thread_local RopeAngles angles;
  angles.compute(pos, freqs, half);
  for (int i = 0; i < half; ++i) {
    const float c = angles.c[i], s = angles.s[i];
    for (int h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
// The first n / 8 * 8 elements; returns how many were done.
static int silu_mul_avx2(float* a, const float* b, int n) {
  int i = 0;
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(a + i);
    const __m256 e = exp8(_mm256_xor_ps(x, sign));
    _mm256_storeu_ps(a + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(one, e)), _mm256_loadu_ps(b + i)));
  }
  return i;
}
QUANT_AVX2_END
#endif

void silu_mul(float* a, const float* b, int n) {
  int i = 0;
#ifdef QUANT_X86_TARGETS
  if (avx2_selected()) i = silu_mul_avx2(a, b, n);
#endif
  for (; i < n; ++i) a[i] = a[i] / (1.0f + std::exp(-a[i])) * b[i];
}

void gelu_tanh_mul(float* a, const float* b, int n) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (int i = 0; i < n; ++i) {
    const float x = a[i];
    a[i] = 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x))) * b[i];
  }
}

}  // namespace quant
