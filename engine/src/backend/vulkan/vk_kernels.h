#pragma once
// The compute kernels of the Vulkan backend and how to record them. Activations are addressed as views:
// row t of a view is buffer[offset + t * stride ...]. Kernels read activation rows as 4-float texels in
// whole weight units, so rows they read start at multiples of 4 floats, are padded() long, and the
// padding holds zeros (buffers are zeroed when created and no kernel writes past a row's end).
#include <cstdint>

#include "vk_device.h"
#include "vk_weights.h"

namespace quant::vk {

// Row length rounded up to whole units of every float weight type (8 elements for F16/BF16).
inline uint32_t padded(uint32_t n) { return (n + 7) / 8 * 8; }

struct View {
  const Buffer* buffer;
  uint32_t offset;  // floats
  uint32_t stride;  // floats between consecutive token rows
};

class Kernels {
 public:
  explicit Kernels(Device& dev);
  ~Kernels() { dev_.destroy(no_scales_); }
  Kernels(const Kernels&) = delete;
  Kernels& operator=(const Kernels&) = delete;

  // y[t] = W x[t] (y[t] += W x[t] when accumulate) for t < n_tok. Returns the dispatches recorded.
  int matmul(const DeviceWeight& W, View x, int n_tok, View y, bool accumulate);
  // y[t] = rmsnorm(x[t]) * weight over n elements (y[t] += ... when accumulate), for t < n_tok.
  int rmsnorm(View x, const Buffer& weight, int n, float eps, int n_tok, View y, bool accumulate);
  // a[i] = act(a[i]) * b[i] for i < n, act = silu or gelu (tanh form) (whole buffers from offset 0; n a
  // multiple of 4).
  int gated_act(const Buffer& a, const Buffer& b, uint32_t n, bool gelu);

 private:
  const Kernel& matmul_kernel(GgmlType type, bool batched) const;

  Device& dev_;
  uint32_t rows_per_group_ = 1;
  Kernel matmul_[5][2];  // [weight type][single token, token tiles]
  Kernel rmsnorm_, gated_act_[2];  // [silu, gelu]
  Buffer no_scales_;  // bound as the scales of float weights, which have none
};

}  // namespace quant::vk
