#pragma once
// Matmul kernels, one set per instruction set, chosen at run time (cpu_features.h). Every set computes
// the same thing as the scalar reference set (kernels_ref.cpp), which the tests compare it against.
//
// The files that implement a set for a wider instruction set (kernels_avx2.cpp, ...) are compiled with
// that set's flags, so they include only this header, <immintrin.h> and <cstdint>/<cstddef>: shared
// inline code compiled there could be picked by the linker for callers on any CPU.
#include <cstddef>
#include <cstdint>

namespace quant {

enum class Isa;  // quant/cpu_features.h (not included here: see above)

// The weight encodings the kernels know.
enum class WeightKind : uint8_t { f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_0_x8, q4_k_il, count };

// Q4_0 rows regrouped for decode (WeightLayout::q4_0_x8, WeightKind::q4_0_x8). Each run of 8 blocks
// (144 bytes, as in GGUF) becomes [8 fp16 scales | 4 x (16 quant bytes of block 2k, 16 of block 2k+1)],
// the scales in the order blocks 0 2 4 6 1 3 5 7 (the lanes the x86 decode reduction leaves them in): one
// load gives 8 scales and one load a pair's quants, where GGUF order needs 8 scalar loads and two 16-byte
// loads. Blocks after the last full run keep the GGUF layout (and offset). Same row size.
constexpr int kX8Blocks = 8;
constexpr int kX8Bytes = 144;
constexpr int kX8Quants = 16;  // the scales come first
constexpr int x8_scale_slot(int o) { return (o % 2) * 4 + o / 2; }  // block o of a run -> its scale's slot

// Q4_K blocks with interleaved sub-blocks for decode (WeightLayout::q4_k_il, WeightKind::q4_k_il); 144
// bytes per block, as in GGUF:
//   0-3    d, dmin (fp16, unchanged)
//   4-11   byte i: low 4 bits of scale i | low 4 bits of min i << 4
//   12-15  byte k, bits 2p..2p+1: high 2 bits of value k + 4p of [scale 0..7, min 0..7]
//   16-143 4 chunks of 32 bytes; chunk r byte 4s + k: low nibble = quant 8r + k of sub-block s, high
//          nibble = quant 8r + 4 + k of sub-block s
// So each 32-byte nibble vector holds 4 quants of every sub-block, and its 8-bit products summed in 16-bit
// lanes stay per sub-block (two lanes each), which one multiply by the scales finishes; the activations
// are read in the matching order (QActs::qs_il). The scale bytes decode with a few vector operations.
constexpr int kIlBlockBytes = 144;
constexpr int kIlQuants = 16;  // offset of the quants
// Activation (or weight) value index of byte position p of 32-byte group v in the interleaved order.
constexpr int il_value(int v, int p) { return 32 * (p / 4) + 4 * v + p % 4; }

// How activations are presented to a weight kind (quantised once per matmul, 8-bit where it says q8).
enum class ActFormat : uint8_t {
  f32,     // the float rows as given (F32/F16/BF16 weights)
  q8_32,   // per 32 values: int8 q, float scale d (x ~ d*q), natural order (Q8_0 weights)
  q8_pair, // as q8_32, but two blocks interleaved per 64 bytes to match nibble-packed weights
           // (Q4_0, Q4_1, Q5_0, Q5_1): [b0 0..15 | b1 0..15 | b0 16..31 | b1 16..31]
  q8_256,  // per 256 values: int8 q, float scale, sums of each 16 q (K formats)
};

// One matmul's activations. Rows t < n_tok; buffers sized by the caller (see matmul.cpp).
struct QActs {
  ActFormat fmt = ActFormat::f32;
  int K = 0;          // values per row
  int n_tok = 0;
  const float* x = nullptr;  // f32: row t at x + t*ldx
  size_t ldx = 0;
  int8_t* qs = nullptr;      // q8: row t at qs + t*ld_qs (ld_qs >= K, pairs padded to 64 bytes)
  size_t ld_qs = 0;
  float* d = nullptr;        // q8_32: K/32 scales per row; q8_256: K/256 (q8_pair: see bd)
  size_t ld_d = 0;
  // q8_pair, per group of 8 blocks (full groups only), in the lane order the decode kernels' reduction
  // produces, [b0 b2 b4 b6 | b1 b3 b5 b7]: scales, -off*s, and d*s.
  float* gd = nullptr;
  int32_t* goff = nullptr;
  float* gds = nullptr;
  size_t ld_g = 0;           // elements per row in gd, goff and gds
  // q8_pair, per block in natural order: scale, -off*s and d*s (s = sum of the block's q).
  float* bd = nullptr;
  int32_t* boff = nullptr;
  float* bds = nullptr;
  size_t ld_b = 0;
  int8_t* qs_il = nullptr;   // q8_256: qs with each 256-block in the interleaved order (il_value), ld_qs
  int16_t* bsums = nullptr;  // q8_256: K/16 sums per row; q8_32: K/32, one per block
  size_t ld_bsums = 0;
  int offset = 0;            // q8_pair: the weight kind's zero point (8 for Q4_0, 16 for Q5_0, else 0)
};

// y[t*ldy + r] = dot(weight row r, activation row t0+t) for r < nr, t < nt. w points at row 0.
using GemmFn = void (*)(const uint8_t* w, size_t row_bytes, int nr, const QActs& a, int t0, int nt, float* y,
                        size_t ldy);
// Fills a's q8 buffers from n_tok float rows x (row t at x + t*ldx).
using QuantizeFn = void (*)(const float* x, size_t ldx, const QActs& a);

struct KernelSet {
  const char* name;
  GemmFn gemm[static_cast<int>(WeightKind::count)];
  QuantizeFn quantize;
  // Batch kernels that repack tiles of weight rows once and reuse them for every token (null where a set
  // has none); bit-identical to gemm, so the choice never changes a result.
  GemmFn prefill[static_cast<int>(WeightKind::count)];
};

// The set for an instruction set, or nullptr when this binary was built without it.
const KernelSet* kernel_set(Isa isa);

const KernelSet* kernel_set_ref();
const KernelSet* kernel_set_avx2();
const KernelSet* kernel_set_avx_vnni();
const KernelSet* kernel_set_avx512_vnni();

}  // namespace quant
