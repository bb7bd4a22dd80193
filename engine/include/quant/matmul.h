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
// Rewrites a matmul weight's rows in place (at `bytes`, the writable memory t.data views) into the layout
// the decode kernels read fastest, and records it in t.layout; matmul results are bit-identical.
// Returns false and changes nothing for types without such a layout (every type but Q4_0 and Q4_K today).
bool regroup_for_decode(Tensor& t, uint8_t* bytes);
// x: n_tok rows of W.cols() floats; y: n_tok rows of W.rows() floats.
void matmul(ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y);
// ys[i] = Ws[i] x for matrices of the same row length, as one job: the activations are quantised once
// and the pool wakes once (Q, K, V; gate and up).
void matmul_many(ThreadPool& pool, const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys);

}  // namespace quant
