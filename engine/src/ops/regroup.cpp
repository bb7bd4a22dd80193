// Q4_0 rows in and out of the decode layout (ops/kernels.h, kX8*). Plain byte moves: the layout only
// changes where each scale and quant byte sits, never a value.
#include <cstring>
#include <vector>

#include "kernels.h"
#include "matmul_internal.h"
#include "quant/blocks.h"
#include "quant/matmul.h"

namespace quant {

namespace {

constexpr int kScaleBytes = 2, kQuantBytes = 16;
static_assert(sizeof(BlockQ4_0) == kScaleBytes + kQuantBytes && kX8Bytes == kX8Blocks * sizeof(BlockQ4_0));
static_assert(kX8Quants == kX8Blocks * kScaleBytes);

void regroup_q4_0_row(const uint8_t* src, uint8_t* dst, int nb) {
  const int ng = nb / kX8Blocks;
  for (int g = 0; g < ng; ++g)
    for (int o = 0; o < kX8Blocks; ++o) {
      const uint8_t* blk = src + g * kX8Bytes + o * sizeof(BlockQ4_0);
      std::memcpy(dst + g * kX8Bytes + x8_scale_slot(o) * kScaleBytes, blk, kScaleBytes);
      std::memcpy(dst + g * kX8Bytes + kX8Quants + o * kQuantBytes, blk + kScaleBytes, kQuantBytes);
    }
  std::memcpy(dst + ng * kX8Bytes, src + ng * kX8Bytes, (nb - ng * kX8Blocks) * sizeof(BlockQ4_0));
}

}  // namespace

void ungroup_q4_0_row(const uint8_t* src, uint8_t* dst, int nb) {
  const int ng = nb / kX8Blocks;
  for (int g = 0; g < ng; ++g)
    for (int o = 0; o < kX8Blocks; ++o) {
      uint8_t* blk = dst + g * kX8Bytes + o * sizeof(BlockQ4_0);
      std::memcpy(blk, src + g * kX8Bytes + x8_scale_slot(o) * kScaleBytes, kScaleBytes);
      std::memcpy(blk + kScaleBytes, src + g * kX8Bytes + kX8Quants + o * kQuantBytes, kQuantBytes);
    }
  std::memcpy(dst + ng * kX8Bytes, src + ng * kX8Bytes, (nb - ng * kX8Blocks) * sizeof(BlockQ4_0));
}

bool regroup_for_decode(Tensor& t, uint8_t* bytes) {
  if (t.type != GgmlType::Q4_0 || t.layout != WeightLayout::gguf) return false;
  const int nb = static_cast<int>(t.cols() / kQK);
  std::vector<uint8_t> row(t.row_bytes);
  for (int64_t r = 0; r < t.rows(); ++r) {
    uint8_t* p = bytes + static_cast<size_t>(r) * t.row_bytes;
    regroup_q4_0_row(p, row.data(), nb);
    std::memcpy(p, row.data(), t.row_bytes);
  }
  t.layout = WeightLayout::q4_0_x8;
  return true;
}

}  // namespace quant
