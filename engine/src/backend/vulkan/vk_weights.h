#pragma once
// Weight tensors resident on the device, repacked once at upload into the layouts matmul.comp reads:
//   F32          rows of 4-float units (zero-padded), one float per word
//   F16, BF16    rows of 8-element units (zero-padded), two halves per word, element 2i in the low half
//   Q8_0         per 32-element block 8 words of 4 signed bytes, and the fp16 scale widened to a float
//   Q4_0         per block 4 words of the GGUF nibble bytes unchanged, and the scale as a float
// Scales go to a buffer of their own so both arrays stay word-aligned. Several tensors of one type and
// width can be uploaded as one matrix, their rows stacked (Q, K and V: one dispatch) or interleaved
// (gate row r, up row r: one dispatch that also applies the activation). A matrix larger than the
// device's texel-buffer limit is split into parts by rows (an even number, keeping interleaved pairs).
#include <cstdint>
#include <vector>

#include "quant/tensor.h"
#include "quant/thread_pool.h"
#include "vk_device.h"

namespace quant::vk {

struct DeviceWeight {
  struct Part {
    Buffer data, scales;  // scales only for Q8_0 / Q4_0
    int64_t row0 = 0, rows = 0;
  };
  GgmlType type = GgmlType::F32;
  int64_t rows = 0, cols = 0;  // rows of all tensors together
  bool interleaved = false;
  std::vector<Part> parts;
};

// Weight types matmul.comp can multiply by.
bool device_supports(GgmlType type);
// Elements per unit (see matmul.comp), and bytes of data words per unit.
int unit_elements(GgmlType type);

// One tensor, or several of one type and width (stacked in order, or interleaved row by row when
// `interleave`, which needs exactly two tensors of equal height).
DeviceWeight upload_weights(Device& dev, ThreadPool& pool, const std::vector<const Tensor*>& tensors, bool interleave);
// A 1-D tensor (a norm's weights) as floats.
Buffer upload_vector(Device& dev, const Tensor& t);
void release(Device& dev, DeviceWeight& w);

}  // namespace quant::vk
