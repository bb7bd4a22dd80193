// TurboQuant KV codec (arXiv 2504.19874, MSE variant): per block, store the L2 norm; rotate the unit
// vector with a seeded Haar-random orthogonal matrix; quantise each rotated coordinate to the nearest
// Lloyd-Max level of the exact coordinate law at that block dimension. turbo_kv_4bo also keeps the
// largest-magnitude rotated coordinates exactly, as fp16 residuals. Layout: turbo_format.h.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "codecs.h"
#include "lloyd_max.h"
#include "rotation.h"
#include "simd.h"
#include "turbo_format.h"

namespace quant {

namespace {

using kv::Rotation;
using kv::TurboBlock;
using kv::TurboLayout;

int bits_of(KvType t) {
  switch (t) {
    case KvType::turbo_kv_3b: return 3;
    case KvType::turbo_kv_5b: return 5;
    default: return 4;
  }
}

class TurboCodec final : public KvCodec {
 public:
  TurboCodec(KvType type, int dim, uint64_t seed, Isa isa) : KvCodec(dim), type_(type), simd_(isa == Isa::avx2) {
    layout_.bits = bits_of(type);
    const int half = 1 << (layout_.bits - 1);
    size_t bytes = 0;
    int offset = 0;
    for (int len : kv_block_dims(type, dim)) {
      TurboBlock b;
      b.offset = offset;
      b.dim = len;
      b.bytes = bytes;
      // About one outlier per 32 coordinates: 4 for a 128-block (12 bytes on top of 66).
      b.n_outliers = type == KvType::turbo_kv_4bo ? std::max(1, len / 32) : 0;
      const kv::Codebook& cb = kv::sphere_codebook(layout_.bits, len);
      std::vector<float> thresholds;
      for (int m = 0; m < half; ++m) {
        b.value[m] = static_cast<float>(cb.levels[half + m]);
        b.value[half + m] = -b.value[m];
        if (m > 0) thresholds.push_back(static_cast<float>(cb.thresholds[half - 1 + m]));
      }
      layout_.blocks.push_back(b);
      thresholds_.push_back(std::move(thresholds));
      // A distinct rotation per block, derived from the head's seed.
      rotations_.emplace_back(len, seed + 0xd1b54a32d192ed03ull * static_cast<uint64_t>(layout_.blocks.size()));
      bytes += b.size(layout_.bits);
      offset += len;
    }
    layout_.bytes_per_vector = bytes;
  }

  KvType type() const override { return type_; }
  size_t bytes_per_vector() const override { return layout_.bytes_per_vector; }

  void encode(const float* x, uint8_t* dst) const override {
    std::fill_n(dst, layout_.bytes_per_vector, 0);
    float u[128];
    for (size_t bi = 0; bi < layout_.blocks.size(); ++bi) {
      const TurboBlock& b = layout_.blocks[bi];
      const float* xb = x + b.offset;
      uint8_t* base = dst + b.bytes;
      double sq = 0;
      for (int j = 0; j < b.dim; ++j) sq += static_cast<double>(xb[j]) * xb[j];
      const float norm = static_cast<float>(std::sqrt(sq));
      const uint16_t norm16 = kv::to_f16_saturated(norm);
      kv::store_u16(base, norm16);
      if (norm == 0 || !std::isfinite(norm)) continue;  // all codes 0, norm 0 (or inf): nothing to rotate
      rotations_[bi].apply(xb, u);
      const float inv = 1 / norm;
      uint8_t* codes = base + 2;
      const std::vector<float>& t = thresholds_[bi];
      for (int j = 0; j < b.dim; ++j) {
        u[j] *= inv;
        const float a = std::fabs(u[j]);
        const int m = static_cast<int>(std::upper_bound(t.begin(), t.end(), a) - t.begin());
        kv::turbo_set_code(codes, j, layout_.bits, (u[j] < 0) << (layout_.bits - 1) | m);
      }
      if (b.n_outliers == 0) continue;
      int order[128];
      std::iota(order, order + b.dim, 0);
      std::partial_sort(order, order + b.n_outliers, order + b.dim,
                        [&](int i, int j) { return std::fabs(u[i]) > std::fabs(u[j]); });
      uint8_t* idx = codes + b.codes_bytes(layout_.bits);
      const float scale = fp16_to_fp32(norm16);
      for (int o = 0; o < b.n_outliers; ++o) {
        const int j = order[o];
        idx[o] = static_cast<uint8_t>(j);
        const float quantised = scale * b.value[kv::turbo_get_code(codes, j, layout_.bits)];
        kv::store_u16(idx + b.n_outliers + 2 * o, kv::to_f16_saturated(norm * u[j] - quantised));
      }
    }
  }

  void decode(const uint8_t* src, float* x) const override {
    float y[128];
    for (size_t bi = 0; bi < layout_.blocks.size(); ++bi) {
      const TurboBlock& b = layout_.blocks[bi];
      const uint8_t* base = src + b.bytes;
      const float norm = kv::load_f16(base);
      const uint8_t* codes = base + 2;
      for (int j = 0; j < b.dim; ++j) y[j] = norm * b.value[kv::turbo_get_code(codes, j, layout_.bits)];
      const uint8_t* idx = codes + b.codes_bytes(layout_.bits);
      for (int o = 0; o < b.n_outliers; ++o) y[idx[o]] += kv::load_f16(idx + b.n_outliers + 2 * o);
      rotations_[bi].apply_inverse(y, x + b.offset);
    }
  }

  void prepare_query(const float* q, float* qp) const override {
    for (size_t bi = 0; bi < layout_.blocks.size(); ++bi) {
      const int off = layout_.blocks[bi].offset;
      rotations_[bi].apply(q + off, qp + off);
    }
  }
  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
#ifdef QUANT_KV_AVX2
    if (simd_) return kv::turbo_score_avx2(layout_, q, rows, stride, n, out);
#endif
    kv::turbo_score_ref(layout_, q, rows, stride, n, out);
  }
  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
#ifdef QUANT_KV_AVX2
    if (simd_) return kv::turbo_accumulate_avx2(layout_, w, rows, stride, n, acc);
#endif
    kv::turbo_accumulate_ref(layout_, w, rows, stride, n, acc);
  }
  void finish_value(const float* acc, float* out) const override {
    for (size_t bi = 0; bi < layout_.blocks.size(); ++bi) {
      const int off = layout_.blocks[bi].offset;
      rotations_[bi].apply_inverse(acc + off, out + off);
    }
  }

 private:
  KvType type_;
  bool simd_;
  TurboLayout layout_;
  std::vector<std::vector<float>> thresholds_;  // per block: boundaries between positive levels
  std::vector<Rotation> rotations_;             // per block
};

}  // namespace

std::unique_ptr<KvCodec> make_turbo_codec(KvType type, int dim, uint64_t seed, Isa isa) {
  return std::make_unique<TurboCodec>(type, dim, seed, isa);
}

}  // namespace quant
