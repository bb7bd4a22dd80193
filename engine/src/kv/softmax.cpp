#include "softmax.h"

#include <algorithm>
#include <cmath>

#include "ops/exp_avx2.h"
#include "quant/cpu_features.h"
#include "simd.h"

namespace quant::kv {

void softmax_ref(float* x, int n, float scale) {
  float mx = -INFINITY;
  for (int i = 0; i < n; ++i) mx = std::max(mx, x[i] *= scale);
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - mx);
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
static void softmax_avx2(float* x, int n, float scale) {
  const __m256 vs = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), vs);
    _mm256_storeu_ps(x + i, v);
    vmax = _mm256_max_ps(vmax, v);
  }
  float buf[8];
  _mm256_storeu_ps(buf, vmax);
  float mx = *std::max_element(buf, buf + 8);
  for (; i < n; ++i) mx = std::max(mx, x[i] *= scale);
  const __m256 vm = _mm256_set1_ps(mx);
  __m256 vsum = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float sum = hsum(vsum);
  for (; i < n; ++i) sum += x[i] = std::exp(x[i] - mx);
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= 1.0f / sum;
}
QUANT_AVX2_END
#endif

void softmax(float* x, int n, float scale) {
#ifdef QUANT_X86_TARGETS
  if (avx2_selected()) return softmax_avx2(x, n, scale);
#endif
  softmax_ref(x, n, scale);
}

}  // namespace quant::kv
