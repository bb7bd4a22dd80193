#pragma once
// The stored layout of a TurboQuant vector and the kernels that read it.
//
// A head vector is cut into blocks of at most 128 coordinates; each block is stored as
//   fp16 norm | codes | (turbo_kv_4bo only) n_outliers index bytes | n_outliers fp16 residuals
// Codes are sign-magnitude: code = sign << (bits - 1) | m, value = +-level[m] (the m-th positive
// Lloyd-Max level, ascending). They are packed per group of 8 coordinates, tightly (bits bytes a group):
//   3 bits: 3 bytes, code k at bits 3k..3k+2 (little endian)
//   4 bits: 4 bytes, code k at bits 4k..4k+3
//   5 bits: 4 bytes with the low 4 bits of code k at bits 4k..4k+3, then 1 byte with its sign at bit k
// A block's rotated, quantised coordinates are norm * value(code), plus a residual at each outlier index
// (the exact coordinate minus that, in fp16). Scores and value sums work on these rotated coordinates.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quant::kv {

struct TurboBlock {
  int offset = 0;      // first coordinate of the block in the head vector
  int dim = 0;         // coordinates in the block (a multiple of 8)
  size_t bytes = 0;    // where the block starts in the stored vector
  int n_outliers = 0;  // coordinates kept exactly (turbo_kv_4bo)
  float value[32] = {};  // value of each code on the unit sphere (2^bits used)

  size_t codes_bytes(int bits) const { return static_cast<size_t>(dim) / 8 * bits; }
  size_t size(int bits) const { return 2 + codes_bytes(bits) + 3 * static_cast<size_t>(n_outliers); }
};

struct TurboLayout {
  int bits = 4;
  std::vector<TurboBlock> blocks;
  size_t bytes_per_vector = 0;
};

// Code of coordinate j (within a block) and its inverse.
inline int turbo_get_code(const uint8_t* codes, int j, int bits) {
  const uint8_t* g = codes + (j / 8) * bits;
  const int k = j % 8;
  switch (bits) {
    case 3: return ((g[0] | g[1] << 8 | g[2] << 16) >> (3 * k)) & 7;
    case 4: return (g[k / 2] >> (4 * (k & 1))) & 15;
    default: return ((g[k / 2] >> (4 * (k & 1))) & 15) | ((g[4] >> k) & 1) << 4;
  }
}
inline void turbo_set_code(uint8_t* codes, int j, int bits, int code) {
  uint8_t* g = codes + (j / 8) * bits;
  const int k = j % 8;
  switch (bits) {
    case 3: {
      uint32_t w = g[0] | g[1] << 8 | g[2] << 16;
      w = (w & ~(7u << (3 * k))) | static_cast<uint32_t>(code) << (3 * k);
      g[0] = static_cast<uint8_t>(w);
      g[1] = static_cast<uint8_t>(w >> 8);
      g[2] = static_cast<uint8_t>(w >> 16);
      break;
    }
    case 4: g[k / 2] = static_cast<uint8_t>((g[k / 2] & ~(15 << (4 * (k & 1)))) | code << (4 * (k & 1))); break;
    default:
      g[k / 2] = static_cast<uint8_t>((g[k / 2] & ~(15 << (4 * (k & 1)))) | (code & 15) << (4 * (k & 1)));
      g[4] = static_cast<uint8_t>((g[4] & ~(1 << k)) | (code >> 4) << k);
  }
}

// out[i] = <q, x_i> for n stored vectors, q in the rotated domain (all blocks concatenated).
void turbo_score_ref(const TurboLayout& l, const float* q, const uint8_t* rows, size_t stride, int n, float* out);
// acc += sum_i w[i] * x_i in the rotated domain.
void turbo_accumulate_ref(const TurboLayout& l, const float* w, const uint8_t* rows, size_t stride, int n, float* acc);
// AVX2 versions (only linked in AVX2 builds; see isa_available).
void turbo_score_avx2(const TurboLayout& l, const float* q, const uint8_t* rows, size_t stride, int n, float* out);
void turbo_accumulate_avx2(const TurboLayout& l, const float* w, const uint8_t* rows, size_t stride, int n, float* acc);

}  // namespace quant::kv
