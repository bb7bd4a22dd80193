// Weight matmuls. Rows of W are split into chunks across the pool; within a chunk each weight row is
// read once and applied to every activation row of the batch (weights dominate memory traffic).
// Q8_0/Q4_0 weights meet activations quantised to Q8_0 once per call, so the inner loop is integer.
#include "quant/matmul.h"

#include <algorithm>
#include <vector>

#include "quant/blocks.h"
#include "quant/dot.h"
#include "quant/half.h"

namespace quant {

bool matmul_supports(GgmlType type) {
  switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q8_0: case GgmlType::Q4_0:
      return true;
    default:
      return false;
  }
}

void dequantize_row(const Tensor& t, int64_t row, float* out) {
  const uint8_t* p = t.row(row);
  const int n = static_cast<int>(t.cols());
  switch (t.type) {
    case GgmlType::F32: std::copy_n(reinterpret_cast<const float*>(p), n, out); break;
    case GgmlType::F16:
      for (int i = 0; i < n; ++i) out[i] = fp16_to_fp32(reinterpret_cast<const uint16_t*>(p)[i]);
      break;
    case GgmlType::BF16:
      for (int i = 0; i < n; ++i) out[i] = bf16_to_fp32(reinterpret_cast<const uint16_t*>(p)[i]);
      break;
    case GgmlType::Q8_0: dequantize_row_q8_0(reinterpret_cast<const BlockQ8_0*>(p), out, n); break;
    case GgmlType::Q4_0: dequantize_row_q4_0(reinterpret_cast<const BlockQ4_0*>(p), out, n); break;
    default: std::fill_n(out, n, 0.0f); break;  // unreachable: the loader rejects unsupported types
  }
}

namespace {

float dot_row(const Tensor& W, const uint8_t* wrow, const float* x, const BlockQ8_0* xq, int n) {
  switch (W.type) {
    case GgmlType::F32: return dot_f32(reinterpret_cast<const float*>(wrow), x, n);
    case GgmlType::F16: return dot_f16_f32(reinterpret_cast<const uint16_t*>(wrow), x, n);
    case GgmlType::BF16: return dot_bf16_f32(reinterpret_cast<const uint16_t*>(wrow), x, n);
    case GgmlType::Q8_0: return dot_q8_0_q8_0(reinterpret_cast<const BlockQ8_0*>(wrow), xq, n);
    case GgmlType::Q4_0: return dot_q4_0_q8_0(reinterpret_cast<const BlockQ4_0*>(wrow), xq, n);
    default: return 0.0f;
  }
}

bool uses_q8_activations(GgmlType t) { return t == GgmlType::Q8_0 || t == GgmlType::Q4_0; }

}  // namespace

void matmul(ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y) {
  const int n = static_cast<int>(W.cols());
  const int64_t rows = W.rows();
  thread_local std::vector<BlockQ8_0> xq;
  const bool quantised = uses_q8_activations(W.type);
  const int blocks_per_row = n / kQK;
  if (quantised) {
    xq.resize(static_cast<size_t>(n_tok) * blocks_per_row);
    for (int t = 0; t < n_tok; ++t) quantize_row_q8_0(x + static_cast<size_t>(t) * n, xq.data() + t * blocks_per_row, n);
  }
  const BlockQ8_0* xq_data = xq.data();

  // Small products are not worth a thread hand-off.
  const int64_t work = rows * n * static_cast<int64_t>(n_tok);
  const int threads = work < (1 << 16) ? 1 : pool.size();
  const int64_t chunk = std::max<int64_t>(16, (rows + threads * 4 - 1) / (threads * 4));
  const int n_chunks = static_cast<int>((rows + chunk - 1) / chunk);
  auto run = [&](int c, int) {
    const int64_t r0 = c * chunk, r1 = std::min(rows, r0 + chunk);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* wrow = W.row(r);
      for (int t = 0; t < n_tok; ++t)
        y[static_cast<size_t>(t) * rows + r] =
            dot_row(W, wrow, x + static_cast<size_t>(t) * n, quantised ? xq_data + t * blocks_per_row : nullptr, n);
    }
  };
  if (threads == 1) {
    for (int c = 0; c < n_chunks; ++c) run(c, 0);
  } else {
    pool.parallel_for(n_chunks, run);
  }
}

}  // namespace quant
