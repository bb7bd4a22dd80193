#pragma once
// turbo_kv_4b key scores in integer arithmetic. The type's levels lie on an 8-bit grid (level = k * step,
// |k| <= 127, the Lloyd-Max levels rounded to it), and the rotated query is quantised to 8 bits per
// block (q_j ~ i_j * q_step, |i_j| <= 127), so a block's score is step * q_step * norm * sum_j i_j k_j with
// an exact integer sum. On AVX2 a byte shuffle decodes 32 codes at once and each multiply instruction does
// 16 pairs (VNNI: one instruction per 32 coordinates of 8 heads); each instruction set's kernel is chosen at run time, four times the float kernel's density.
// The scalar kernel computes the same integers and combines them with the same float operations, so all
// kernels give the same bits.
//
// Blocks are whole 32s of coordinates. Prepared query (prepared_floats() floats): n_blocks factors
// step_b * q_step_b, then the dim int8 values, stored per block in kernel order: each chunk of 64 (and a
// last one of 32) coordinates holds its even coordinates then its odd ones (the order a byte's low and
// high code nibbles come in).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "quant/cpu_features.h"

namespace quant::kv {

// The grid levels of one block, indexed by 4-bit code (sign << 3 | magnitude index).
struct Turbo4Levels {
  int8_t level[16] = {};
  float step = 0;
};

// Rounds positive Lloyd-Max levels (ascending, 8 of them) to the grid: the largest becomes 127 steps.
Turbo4Levels turbo4_grid(const double* positive_levels);

int turbo4_prepared_floats(const std::vector<BlockSpec>& blocks, int dim);
// `rotated` is the query in the codec's rotated basis (dim floats). `kernel` (one of turbo4_kernels())
// picks the code: scalar runs the build's baseline code, the others an AVX2 one; all give the same bits.
// Without it: AVX2 where avx2_selected(), else the baseline code.
void turbo4_prepare_query(Isa kernel, const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                          const float* rotated, float* prepared);
void turbo4_prepare_query(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                          const float* rotated, float* prepared);
// Kernels: scalar, AVX2, and VNNI byte dot products (AVX-VNNI or AVX-512 VNNI), one per instruction set.
std::vector<Isa> turbo4_kernels();  // scalar and the sets this CPU can run, fastest last
// out[h * n + i] for n_q prepared queries `q_stride` floats apart and n rows `stride` bytes apart; `kernel`
// must be usable here (turbo4_kernels()).
void turbo4_scores(Isa kernel, const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                   const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out);

// Where coordinate j of a block of `dim` coordinates sits in the prepared int8 values (inline: the query
// preparation calls it per coordinate).
inline int turbo4_query_position(int dim, int j) {
  const int whole64 = dim / 64 * 64;
  const int chunk = j < whole64 ? j / 64 * 64 : whole64, half = j < whole64 ? 32 : 16, r = j - chunk;
  return chunk + (r % 2) * half + r / 2;
}

}  // namespace quant::kv
