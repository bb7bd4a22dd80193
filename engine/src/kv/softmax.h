#pragma once
// Attention weights: x[i] <- exp(scale * x[i] - max) / sum, in place (AVX2 exp when compiled in).
namespace quant::kv {

void softmax(float* x, int n, float scale);
// The scalar definition (std::exp), for tests.
void softmax_ref(float* x, int n, float scale);

}  // namespace quant::kv
