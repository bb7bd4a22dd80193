// Q4_0 and Q4_K rows in and out of the decode layouts (ops/kernels.h: kX8*, kIl*). Byte and bit moves:
// a layout only changes where each scale and quant sits, never a value.
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

// Q4_K, GGUF: d, dmin, 12 bytes of packed 6-bit scales and mins (blocks.h), then quant 32c + i of
// sub-blocks 2c (low nibble) and 2c+1 (high nibble) in byte 32c + i.
static_assert(sizeof(BlockQ4_K) == kIlBlockBytes && kIlQuants == 16);

// Chunk r of the interleaved quants takes, for sub-blocks 2c and 2c+1 (bytes 4*2c.. and 4*(2c+1).. of the
// chunk), GGUF bytes 32c + 8r .. 32c + 8r + 7: their low nibbles are quants 8r .. 8r+7 of sub-block 2c,
// their high nibbles the same quants of sub-block 2c+1. Four bytes at a time:
constexpr uint32_t kLo = 0x0f0f0f0f, kHi = 0xf0f0f0f0;
uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

void regroup_q4_k_row(uint8_t* row, int nb) {
  uint8_t blk[kIlBlockBytes];
  for (int b = 0; b < nb; ++b) {
    std::memcpy(blk, row + b * kIlBlockBytes, kIlBlockBytes);
    interleave_q4_k_block(blk, row + b * kIlBlockBytes);
  }
}

}  // namespace

void interleave_q4_k_block(const uint8_t* src, uint8_t* dst) {
  std::memcpy(dst, src, 4);  // d, dmin
  int v[16];                 // scales 0..7, mins 0..7
  for (int j = 0; j < 8; ++j) k_scale_min(src + 4, j, v[j], v[8 + j]);
  for (int i = 0; i < 8; ++i) dst[4 + i] = static_cast<uint8_t>((v[i] & 15) | (v[8 + i] & 15) << 4);
  for (int k = 0; k < 4; ++k) {
    int hi = 0;
    for (int p = 0; p < 4; ++p) hi |= (v[k + 4 * p] >> 4) << (2 * p);
    dst[12 + k] = static_cast<uint8_t>(hi);
  }
  const uint8_t* q = src + kIlQuants;
  uint8_t* out = dst + kIlQuants;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const uint32_t a = load_u32(q + 32 * c + 8 * r), b = load_u32(q + 32 * c + 8 * r + 4);
      store_u32(out + 32 * r + 8 * c, (a & kLo) | (b & kLo) << 4);          // sub-block 2c
      store_u32(out + 32 * r + 8 * c + 4, (a >> 4 & kLo) | (b & kHi));     // sub-block 2c+1
    }
}

void deinterleave_q4_k_block(const uint8_t* src, uint8_t* dst) {
  std::memcpy(dst, src, 4);
  int sc[8], m[8];
  for (int i = 0; i < 8; ++i) {
    const int v[2] = {i, 8 + i};
    for (int h = 0; h < 2; ++h) {
      const int lo = src[4 + i] >> (4 * h) & 15, hi = src[12 + v[h] % 4] >> (2 * (v[h] / 4)) & 3;
      (h == 0 ? sc : m)[i] = lo | hi << 4;
    }
  }
  k_pack_scales(sc, m, dst + 4);
  const uint8_t* in = src + kIlQuants;
  uint8_t* q = dst + kIlQuants;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const uint32_t even = load_u32(in + 32 * r + 8 * c), odd = load_u32(in + 32 * r + 8 * c + 4);
      store_u32(q + 32 * c + 8 * r, (even & kLo) | (odd & kLo) << 4);
      store_u32(q + 32 * c + 8 * r + 4, (even >> 4 & kLo) | (odd & kHi));
    }
}

void ungroup_row(const Tensor& t, const uint8_t* src, uint8_t* dst) {
  const int n = static_cast<int>(t.cols());
  switch (t.layout) {
    case WeightLayout::q4_0_x8: ungroup_q4_0_row(src, dst, n / kQK); break;
    case WeightLayout::q4_k_il:
      for (int b = 0; b < n / kQK_K; ++b) deinterleave_q4_k_block(src + b * kIlBlockBytes, dst + b * kIlBlockBytes);
      break;
    case WeightLayout::gguf: std::memcpy(dst, src, t.row_bytes); break;
  }
}

bool regroup_for_decode(Tensor& t, uint8_t* bytes) {
  if (t.layout != WeightLayout::gguf) return false;
  if (t.type == GgmlType::Q4_K) {
    for (int64_t r = 0; r < t.rows(); ++r) regroup_q4_k_row(bytes + static_cast<size_t>(r) * t.row_bytes, static_cast<int>(t.cols() / kQK_K));
    t.layout = WeightLayout::q4_k_il;
    return true;
  }
  if (t.type != GgmlType::Q4_0) return false;
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
