#pragma once
// matmul's steps with an explicit kernel set (tests and benchmarks compare the sets against each other).
#include <vector>

#include "kernels.h"
#include "quant/tensor.h"
#include "quant/thread_pool.h"

namespace quant {

// Buffers of quantised activations, reused across calls.
struct ActStorage {
  std::vector<int8_t> qs;
  std::vector<float> d, dsum, gd, gds, bd, bds;
  std::vector<int32_t> ioff, goff, boff;
  std::vector<int16_t> bsums;
};

// Quantises n_tok rows of K floats in the format `type`'s kernels read (the first step of matmul_with).
QActs quantize_activations(const KernelSet& ks, GgmlType type, const float* x, int n_tok, int K, ActStorage& st);

// One row of nb Q4_0 blocks from the decode layout (WeightLayout::q4_0_x8) back to GGUF order.
void ungroup_q4_0_row(const uint8_t* src, uint8_t* dst, int nb);

void matmul_many_with(const KernelSet& ks, ThreadPool& pool, const Tensor* const* Ws, int count, const float* x,
                      int n_tok, float* const* ys);
void matmul_with(const KernelSet& ks, ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y);

}  // namespace quant
