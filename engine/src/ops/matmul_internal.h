#pragma once
// matmul's steps with an explicit kernel set (tests and benchmarks compare the sets against each other).
#include <vector>

#include "kernels.h"
#include "quant/tensor.h"
#include "quant/thread_pool.h"

namespace quant {

// Buffers of quantised activations, reused across calls.
struct ActStorage {
  std::vector<int8_t> qs, qs_il;
  std::vector<float> d, gd, gds, bd, bds;
  std::vector<int32_t> goff, boff;
  std::vector<int16_t> bsums;
};

// Quantises n_tok rows of K floats in the format `type`'s kernels read (the first step of matmul_with).
QActs quantize_activations(const KernelSet& ks, GgmlType type, const float* x, int n_tok, int K, ActStorage& st);

// One Q4_K block between GGUF and the decode layout (WeightLayout::q4_k_il); src and dst must differ.
void interleave_q4_k_block(const uint8_t* src, uint8_t* dst);
void deinterleave_q4_k_block(const uint8_t* src, uint8_t* dst);
// A row of any regrouped layout back in GGUF order (row_bytes bytes); other layouts are copied.
void ungroup_row(const Tensor& t, const uint8_t* src, uint8_t* dst);

void matmul_many_with(const KernelSet& ks, ThreadPool& pool, const Tensor* const* Ws, int count, const float* x,
                      int n_tok, float* const* ys);
void matmul_with(const KernelSet& ks, ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y);

}  // namespace quant
