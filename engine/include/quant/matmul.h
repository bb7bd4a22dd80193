#pragma once
// y = W x for a batch of activation rows: y[t][r] = dot(W.row(r), x[t]).
#include <string_view>

#include "quant/tensor.h"
#include "quant/thread_pool.h"

namespace quant {

// True when the engine can multiply by weights of this type.
bool matmul_supports(GgmlType type);
// Name of the kernel set matmuls use (chosen once at run time: "avx2", "avx512_vnni", "scalar", ...).
std::string_view matmul_kernels_name();
// x: n_tok rows of W.cols() floats; y: n_tok rows of W.rows() floats.
void matmul(ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y);
// ys[i] = Ws[i] x for matrices of the same row length, as one job: the activations are quantised once
// and the pool wakes once (Q, K, V; gate and up).
void matmul_many(ThreadPool& pool, const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys);

}  // namespace quant
