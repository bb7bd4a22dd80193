#pragma once
// The compute kernels of the Vulkan backend and how to record them. Activations are addressed as views:
// row t of a view is buffer[offset + t * stride ...]. Kernels read activation rows as 4-float texels in
// whole weight units, so rows they read start at multiples of 4 floats, are padded() long, and the
// padding holds zeros (buffers are zeroed when created and no kernel writes past a row's end).
#include <cstdint>
#include <map>
#include <tuple>

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

// Where the rows of a matmul go: rows below end[0] to segment 0, below end[1] to segment 1, the rest to
// segment 2, each with its own offset and stride, all in one buffer (Q, K and V from one dispatch).
struct Outputs {
  const Buffer* buffer;
  uint32_t end[2];
  uint32_t offset[3], stride[3];
  static Outputs one(View y) { return {y.buffer, {~0u, ~0u}, {y.offset, 0, 0}, {y.stride, 0, 0}}; }
};

// GATED matmuls (interleaved gate/up weights) write act(gate) * up.
enum class Gate { none = 0, silu = 1, gelu = 2 };

class Kernels {
 public:
  explicit Kernels(Device& dev);
  ~Kernels() { dev_.destroy(no_scales_); }
  Kernels(const Kernels&) = delete;
  Kernels& operator=(const Kernels&) = delete;

  // y[t] = W x[t] (y[t] += W x[t] when accumulate) for t < n_tok. Returns the dispatches recorded.
  int matmul(const DeviceWeight& W, View x, int n_tok, const Outputs& y, bool accumulate, Gate gate = Gate::none);
  int matmul(const DeviceWeight& W, View x, int n_tok, View y, bool accumulate) {
    return matmul(W, x, n_tok, Outputs::one(y), accumulate);
  }
  // y[t] = rmsnorm(x[t]) * weight over n elements (y[t] += ... when accumulate), for t < n_tok.
  int rmsnorm(View x, const Buffer& weight, int n, float eps, int n_tok, View y, bool accumulate);

 private:
  const Kernel& matmul_kernel(GgmlType type, bool batched, Gate gate);

  Device& dev_;
  uint32_t rows_per_group_ = 1;
  std::map<std::tuple<GgmlType, bool, Gate>, Kernel> matmul_;  // compiled on first use
  Kernel rmsnorm_;
  Buffer no_scales_;  // bound as the scales of float weights, which have none
};

}  // namespace quant::vk
