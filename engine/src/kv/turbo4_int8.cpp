#include "turbo4_int8.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "quant/cpu_features.h"
#include "turbo_format.h"
#include "util/x86_target.h"

namespace quant::kv {

Turbo4Levels turbo4_grid(const double* positive_levels) {
  Turbo4Levels g;
  g.step = static_cast<float>(positive_levels[7] / 127);
  for (int m = 0; m < 8; ++m) {
    const long k = std::lround(positive_levels[m] / g.step);
    g.level[m] = static_cast<int8_t>(std::clamp(k, 1L, 127L));  // a level never rounds to zero: signs stay
    g.level[8 + m] = static_cast<int8_t>(-g.level[m]);
  }
  return g;
}

int turbo4_prepared_floats(const std::vector<BlockSpec>& blocks, int dim) {
  return static_cast<int>(blocks.size()) + dim / 4;  // dim is a multiple of 32
}

namespace {
namespace baseline {
#include "turbo4_prepare.inc"
}  // namespace baseline
#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
namespace avx2 {
#include "turbo4_prepare.inc"
}  // namespace avx2
QUANT_AVX2_END
#endif
}  // namespace

void turbo4_prepare_query(Isa kernel, const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                          const float* rotated, float* prepared) {
#ifdef QUANT_X86_TARGETS
  if (kernel != Isa::scalar) return avx2::prepare_query(blocks, levels, rotated, prepared);
#endif
  baseline::prepare_query(blocks, levels, rotated, prepared);
}

void turbo4_prepare_query(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                          const float* rotated, float* prepared) {
  turbo4_prepare_query(avx2_selected() ? Isa::avx2 : Isa::scalar, blocks, levels, rotated, prepared);
}

namespace {

void scores_scalar(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                   const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (int h = 0; h < n_q; ++h) {
      const float* factor = prepared + static_cast<size_t>(h) * q_stride;
      const int8_t* q8 = reinterpret_cast<const int8_t*>(factor + blocks.size());
      float total = 0;
      for (size_t b = 0; b < blocks.size(); ++b) {
        const BlockSpec& s = blocks[b];
        const uint8_t* block = row + s.bytes;
        int32_t isum = 0;
        for (int j = 0; j < s.dim; ++j)
          isum += q8[s.offset + turbo4_query_position(s.dim, j)] * levels[b].level[turbo_get_code(block + 2, j, 4)];
        total = std::fma(static_cast<float>(isum) * factor[b], load_f16(block), total);
      }
      out[static_cast<size_t>(h) * n + i] = total;
    }
  }
}

// The int8 values of H prepared queries; their per-block factors gathered into factors[block * 8 + h].
template <int H>
std::array<const int8_t*, H> gather_queries(const float* prepared, int q_stride, size_t nb, std::vector<float>& factors) {
  std::array<const int8_t*, H> q8;
  factors.assign(nb * 8, 0.0f);
  for (int h = 0; h < H; ++h) {
    const float* p = prepared + static_cast<size_t>(h) * q_stride;
    q8[h] = reinterpret_cast<const int8_t*>(p + nb);
    for (size_t b = 0; b < nb; ++b) factors[b * 8 + h] = p[b];
  }
  return q8;
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
namespace avx2 {
#include "turbo4_simd.inc"
}  // namespace avx2
QUANT_AVX2_END

QUANT_TARGET_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")
namespace avx512_vnni {
inline __m256i dpbusd(__m256i acc, __m256i u, __m256i q) { return _mm256_dpbusd_epi32(acc, u, q); }
#define QUANT_TURBO4_DPBUSD 1
#include "turbo4_simd.inc"
#undef QUANT_TURBO4_DPBUSD
}  // namespace avx512_vnni
QUANT_TARGET_END

QUANT_TARGET_BEGIN("avx2,fma,f16c,avxvnni")
namespace avx_vnni {
inline __m256i dpbusd(__m256i acc, __m256i u, __m256i q) { return _mm256_dpbusd_avx_epi32(acc, u, q); }
#define QUANT_TURBO4_DPBUSD 1
#include "turbo4_simd.inc"
#undef QUANT_TURBO4_DPBUSD
}  // namespace avx_vnni
QUANT_TARGET_END
#endif

// Up to 8 heads per pass.
template <template <int> class Kernel>
void by_eight_heads(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                    const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int h0 = 0; h0 < n_q; h0 += 8) {
    const float* p = prepared + static_cast<size_t>(h0) * q_stride;
    float* o = out + static_cast<size_t>(h0) * n;
    switch (std::min(8, n_q - h0)) {
      case 8: Kernel<8>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 7: Kernel<7>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 6: Kernel<6>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 5: Kernel<5>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 4: Kernel<4>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 3: Kernel<3>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 2: Kernel<2>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      default: Kernel<1>::run(blocks, levels, p, q_stride, rows, stride, n, o);
    }
  }
}
#ifdef QUANT_X86_TARGETS
template <int H>
struct Avx2 {
  static constexpr auto run = avx2::scores_avx2<H>;
};
template <int H>
struct Avx512Vnni {
  static constexpr auto run = avx512_vnni::scores_vnni<H>;
};
template <int H>
struct AvxVnni {
  static constexpr auto run = avx_vnni::scores_vnni<H>;
};
#endif

}  // namespace

std::vector<Isa> turbo4_kernels() {
  std::vector<Isa> k = {Isa::scalar};
#ifdef QUANT_X86_TARGETS
  for (Isa isa : {Isa::avx2, Isa::avx_vnni, Isa::avx512_vnni})
    if (isa_usable(isa)) k.push_back(isa);
#endif
  return k;
}

void turbo4_scores(Isa kernel, const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                   const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  switch (kernel) {
#ifdef QUANT_X86_TARGETS
    case Isa::avx512_vnni:
      return by_eight_heads<Avx512Vnni>(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
    case Isa::avx_vnni: return by_eight_heads<AvxVnni>(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
    case Isa::avx2: return by_eight_heads<Avx2>(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
#endif
    default: return scores_scalar(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
  }
}

}  // namespace quant::kv
