// TurboQuant KV codec (arXiv 2504.19874, MSE variant): per block, store the L2 norm; rotate the unit
// vector with a seeded Haar-random orthogonal matrix; quantise each rotated coordinate to the nearest
// Lloyd-Max level of the exact coordinate law at that block dimension. turbo_kv_4bo also keeps the
// largest-magnitude rotated coordinates exactly, as fp16 residuals. Layout: turbo_format.h. turbo_kv_4b
// with blocks of whole 32s of coordinates (head dimensions 32, 64, 96, 128, ...) rounds its levels to an
// 8-bit grid and scores keys in integers (turbo4_int8.h); smaller or odd blocks keep exact levels and
// float scores, where the integer kernels' fixed costs would outweigh their gain (head dimension 8).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "codecs.h"
#include "lloyd_max.h"
#include "rotation.h"
#include "turbo4_int8.h"
#include "turbo_format.h"

namespace quant {

namespace {

using kv::BlockSpec;
using kv::Rotation;
using kv::TurboFormat;
using kv::TurboTable;

// The level of a rotated coordinate's magnitude a: the number of (ascending) thresholds <= a, which is
// what std::upper_bound finds. There are 2^(kBits-1) - 1 thresholds, so a binary search takes exactly
// kBits - 1 steps, each a compare and a conditional add (no branches): on random coordinates
// upper_bound's branches mispredicted about every other step, which made encoding a head_dim-8 key cost
// ~700 cycles.
inline int level_of(const float* t, int n, float a) {
  int m = 0;
  for (int step = (n + 1) / 2; step > 0; step /= 2) m += t[m + step - 1] <= a ? step : 0;
  return m;
}

template <int kBits, bool kOutliers>
class TurboCodec final : public KvCodec {
  static constexpr bool kIntegerScoresType = kBits == 4 && !kOutliers;

 public:
  TurboCodec(KvType type, int dim, uint64_t seed, Isa isa) : KvCodec(dim), type_(type), isa_(isa), simd_(isa != Isa::scalar) {
    const int half = 1 << (kBits - 1);
    const std::vector<int> block_dims = kv_block_dims(type, dim);
    integer_scores_ =
        kIntegerScoresType && std::all_of(block_dims.begin(), block_dims.end(), [](int len) { return len % 32 == 0; });
    size_t bytes = 0;
    int offset = 0;
    for (int len : block_dims) {
      TurboTable t;
      // About one outlier per 32 coordinates: 4 for a 128-block (12 bytes on top of 66).
      t.n_outliers = kOutliers ? std::max(1, len / 32) : 0;  // <= kv::kMaxOutliers for len <= 128
      const kv::Codebook& cb = kv::sphere_codebook(kBits, len);
      std::vector<float> thresholds;
      for (int m = 0; m < half; ++m) {
        t.value[m] = static_cast<float>(cb.levels[half + m]);
        t.value[half + m] = -t.value[m];
        if (m > 0) thresholds.push_back(static_cast<float>(cb.thresholds[half - 1 + m]));
      }
      if (integer_scores_) {
        // Codes are still chosen by the Lloyd-Max boundaries (the same bytes as with exact levels); they
        // decode to the levels rounded to the 8-bit grid (each within half a step).
        const kv::Turbo4Levels grid = kv::turbo4_grid(&cb.levels[half]);
        for (int c = 0; c < 16; ++c) t.value[c] = grid.step * grid.level[c];
        int_levels_.push_back(grid);
      }
      format_.blocks.push_back({offset, len, bytes});
      format_.tables.push_back(t);
      // level_of searches a sorted list of 2^k - 1 thresholds.
      if (!std::is_sorted(thresholds.begin(), thresholds.end()) || ((thresholds.size() + 1) & thresholds.size()) != 0)
        throw std::logic_error("turbo codebook thresholds: not 2^k - 1 in ascending order");
      thresholds_.push_back(std::move(thresholds));
      // A distinct rotation per block, derived from the head's seed.
      rotations_.emplace_back(len, seed + 0xd1b54a32d192ed03ull * static_cast<uint64_t>(format_.blocks.size()));
      bytes += kv::turbo_block_bytes(len, kBits, t.n_outliers);
      offset += len;
    }
    bytes_ = bytes;
  }

  KvType type() const override { return type_; }
  size_t bytes_per_vector() const override { return bytes_; }

  void encode(const float* x, uint8_t* dst) const override {
    std::fill_n(dst, bytes_, 0);
    float u[128];
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const BlockSpec& s = format_.blocks[b];
      const float* xb = x + s.offset;
      uint8_t* base = dst + s.bytes;
      double sq = 0;
      for (int j = 0; j < s.dim; ++j) sq += static_cast<double>(xb[j]) * xb[j];
      const float norm = static_cast<float>(std::sqrt(sq));
      const uint16_t norm16 = kv::to_f16_saturated(norm);
      kv::store_u16(base, norm16);
      if (norm == 0 || !std::isfinite(norm)) continue;  // codes stay 0; a zero norm decodes to zero
      rotations_[b].apply(xb, u);
      const float inv = 1 / norm;
      uint8_t* codes = base + 2;
      const std::vector<float>& t = thresholds_[b];
      for (int j = 0; j < s.dim; ++j) {
        u[j] *= inv;
        const int m = level_of(t.data(), static_cast<int>(t.size()), std::fabs(u[j]));
        kv::turbo_set_code(codes, j, kBits, (u[j] < 0) << (kBits - 1) | m);
      }
      if constexpr (kOutliers) {
        const int n_out = format_.tables[b].n_outliers;
        int order[128];
        std::iota(order, order + s.dim, 0);
        std::partial_sort(order, order + n_out, order + s.dim,
                          [&](int i, int j) { return std::fabs(u[i]) > std::fabs(u[j]); });
        uint8_t* idx = codes + kv::turbo_codes_bytes(s.dim, kBits);
        const float scale = fp16_to_fp32(norm16);
        for (int o = 0; o < n_out; ++o) {
          const int j = order[o];
          idx[o] = static_cast<uint8_t>(j);
          const float quantised = scale * format_.code(b, base, j);
          kv::store_u16(idx + n_out + 2 * o, kv::to_f16_saturated(norm * u[j] - quantised));
        }
      }
    }
  }

  void decode(const uint8_t* src, float* x) const override {
    float y[128];
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const BlockSpec& s = format_.blocks[b];
      const uint8_t* base = src + s.bytes;
      const float norm = kv::load_f16(base);
      for (int j = 0; j < s.dim; ++j) y[j] = norm * format_.code(b, base, j);
      if constexpr (kOutliers) {
        int idx[kv::kMaxOutliers];
        float value[kv::kMaxOutliers];
        for (int o = 0, n = format_.outliers(base, b, idx, value); o < n; ++o) y[idx[o]] += value[o];
      }
      rotations_[b].apply_inverse(y, x + s.offset);
    }
  }

  int prepared_floats() const override {
    return integer_scores_ ? kv::turbo4_prepared_floats(format_.blocks, dim_) : dim_;
  }
  void prepare_query(const float* q, float* qp) const override {
    if (integer_scores_) {
      thread_local std::vector<float> rotated;
      rotated.resize(dim_);
      rotate(q, rotated.data());
      kv::turbo4_prepare_query(isa_, format_.blocks, int_levels_, rotated.data(), qp);
    } else {
      rotate(q, qp);
    }
  }
  void score(const float* q, int n_q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    if (integer_scores_) {
      kv::turbo4_scores(isa_, format_.blocks, int_levels_, q, prepared_floats(), n_q, rows, stride, n, out);
    } else {
      kv::score_rows(format_, simd_, {q, dim_, dim_}, n_q, rows, stride, n, out);
    }
  }
  void accumulate(const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc) const override {
    kv::accumulate_rows(format_, simd_, w, n_q, rows, stride, n, acc, dim_);
  }
  void finish_value(const float* acc, float* out) const override {
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const int off = format_.blocks[b].offset;
      rotations_[b].apply_inverse(acc + off, out + off);
    }
  }

 private:
  void rotate(const float* q, float* out) const {
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const int off = format_.blocks[b].offset;
      rotations_[b].apply(q + off, out + off);
    }
  }

  KvType type_;
  Isa isa_;    // turbo_kv_4b's integer score kernel
  bool simd_;  // the AVX2 float kernels
  size_t bytes_ = 0;
  TurboFormat<kBits, kOutliers> format_;
  std::vector<std::vector<float>> thresholds_;  // per block: boundaries between positive levels
  std::vector<Rotation> rotations_;             // per block
  bool integer_scores_ = false;
  std::vector<kv::Turbo4Levels> int_levels_;    // per block, with integer scores only
};

}  // namespace

std::unique_ptr<KvCodec> make_turbo_codec(KvType type, int dim, uint64_t seed, Isa isa) {
  switch (type) {
    case KvType::turbo_kv_3b: return std::make_unique<TurboCodec<3, false>>(type, dim, seed, isa);
    case KvType::turbo_kv_5b: return std::make_unique<TurboCodec<5, false>>(type, dim, seed, isa);
    case KvType::turbo_kv_4bo: return std::make_unique<TurboCodec<4, true>>(type, dim, seed, isa);
    default: return std::make_unique<TurboCodec<4, false>>(type, dim, seed, isa);
  }
}

}  // namespace quant
