#pragma once
// Elementwise and normalisation kernels of the forward pass.

namespace quant {

// y = x / sqrt(mean(x^2) + eps) * w   (y may equal x)
void rmsnorm(const float* x, const float* w, float* y, int n, float eps);
// Every row of x (rows x width) += bias.
void add_bias(float* x, const float* bias, int rows, int width);
// Rotates pairs of the first n_rot dims of each of n_heads heads: pair i by angle pos * freqs[i].
// Normal (GPT-J) style pairs adjacent dims (2i, 2i+1); NeoX style pairs (i, i + n_rot/2).
void rope(float* x, int n_heads, int head_dim, int n_rot, int pos, const float* freqs, bool neox);
// a[i] = silu(a[i]) * b[i]
void silu_mul(float* a, const float* b, int n);
// a[i] = gelu(a[i]) * b[i], GELU in its tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void gelu_tanh_mul(float* a, const float* b, int n);

}  // namespace quant
