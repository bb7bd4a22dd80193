// Weight matmuls y = W x for a batch of activation rows.
// Activations are quantised once per call to 8 bits (Q8 formats) so the inner loops are integer dot
// products; the kernel set is chosen once at run time (kernels.h). Work is split into chunks of weight
// rows handed out by the pool; inside a chunk the kernel walks tiles of a few rows x a few tokens, so a
// tile's weights and activations stay in L1 and each weight byte is read from memory once per call.
#include "quant/matmul.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "kernels.h"
#include "matmul_internal.h"
#include "quant/blocks.h"
#include "quant/cpu_features.h"
#include "quant/error.h"
#include "quant/half.h"

namespace quant {

namespace {

// From this many tokens on, weight tiles are repacked once and reused (the repacking pays for itself).
constexpr int kPrefillMinTokens = 8;

struct KindInfo {
  WeightKind kind;
  ActFormat fmt;
  int offset;  // zero point of the nibble formats
  int block;   // elements per block
};

std::optional<KindInfo> kind_of(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return KindInfo{WeightKind::f32, ActFormat::f32, 0, 1};
    case GgmlType::F16: return KindInfo{WeightKind::f16, ActFormat::f32, 0, 1};
    case GgmlType::BF16: return KindInfo{WeightKind::bf16, ActFormat::f32, 0, 1};
    case GgmlType::Q8_0: return KindInfo{WeightKind::q8_0, ActFormat::q8_32, 0, kQK};
    case GgmlType::Q4_0: return KindInfo{WeightKind::q4_0, ActFormat::q8_pair, 8, kQK};
    case GgmlType::Q4_1: return KindInfo{WeightKind::q4_1, ActFormat::q8_pair, 0, kQK};
    case GgmlType::Q5_0: return KindInfo{WeightKind::q5_0, ActFormat::q8_pair, 16, kQK};
    case GgmlType::Q5_1: return KindInfo{WeightKind::q5_1, ActFormat::q8_pair, 0, kQK};
    case GgmlType::Q4_K: return KindInfo{WeightKind::q4_k, ActFormat::q8_256, 0, kQK_K};
    case GgmlType::Q5_K: return KindInfo{WeightKind::q5_k, ActFormat::q8_256, 0, kQK_K};
    case GgmlType::Q6_K: return KindInfo{WeightKind::q6_k, ActFormat::q8_256, 0, kQK_K};
    default: return std::nullopt;
  }
}

// The kernels' view of a weight: its type, and for regrouped rows the kind that reads that layout.
std::optional<KindInfo> kind_of(const Tensor& t) {
  auto info = kind_of(t.type);
  if (!info || t.layout == WeightLayout::gguf) return info;
  const bool q4_0_x8 = t.layout == WeightLayout::q4_0_x8;
  if (t.type != (q4_0_x8 ? GgmlType::Q4_0 : GgmlType::Q4_K))
    throw InputError("tensor " + t.name + ": layout " + (q4_0_x8 ? "q4_0_x8" : "q4_k_il") + " on a " +
                     std::string(ggml_type_name(t.type)) + " tensor");
  info->kind = q4_0_x8 ? WeightKind::q4_0_x8 : WeightKind::q4_k_il;
  return info;
}

const KernelSet& active_kernels() {
  static const KernelSet* ks = [] {
    const KernelSet* k = kernel_set(selected_isa());
    return k ? k : kernel_set_ref();
  }();
  return *ks;
}

}  // namespace

// Bytes between two tokens' int8 rows. A batch kernel reads 4-8 tokens' rows side by side; rows a multiple
// of 1 KiB apart (K = 2048, say) would all fall into the same few L1 sets and evict each other, so such
// strides get one cache line more (docs/cpu-kernels.md, "Batch (prefill)").
static size_t token_stride(size_t bytes) { return bytes % 1024 == 0 ? bytes + 64 : bytes; }

static QActs layout(const KindInfo& info, int K, int n_tok, const float* x, ActStorage& st) {
  QActs a;
  a.fmt = info.fmt;
  a.K = K;
  a.n_tok = n_tok;
  a.x = x;
  a.ldx = static_cast<size_t>(K);
  a.offset = info.offset;
  const size_t T = static_cast<size_t>(n_tok);
  switch (info.fmt) {
    case ActFormat::f32: break;
    case ActFormat::q8_32:
      a.ld_qs = token_stride(K);
      a.ld_d = K / kQK;
      a.ld_bsums = K / kQK;
      break;
    case ActFormat::q8_256:
      a.ld_qs = token_stride(K);
      a.ld_d = K / kQK_K;
      a.ld_bsums = K / 16;
      break;
    case ActFormat::q8_pair: {
      const size_t pairs = (K / kQK + 1) / 2;
      a.ld_qs = token_stride(pairs * 64);
      a.ld_g = static_cast<size_t>(K / kQK / 8) * 8;
      a.ld_b = static_cast<size_t>(K / kQK);
      break;
    }
  }
  if (info.fmt != ActFormat::f32) {
    // 64 spare bytes: kernels may load a full vector at the end of a row.
    st.qs.resize(T * a.ld_qs + 64);
    st.qs_il.resize(info.fmt == ActFormat::q8_256 ? T * a.ld_qs + 64 : 0);
    a.qs_il = info.fmt == ActFormat::q8_256 ? st.qs_il.data() : nullptr;
    st.d.resize(T * a.ld_d + 8);
    st.bsums.resize(T * a.ld_bsums + 16);
    st.gd.resize(T * a.ld_g + 8);
    st.gds.resize(T * a.ld_g + 8);
    st.goff.resize(T * a.ld_g + 8);
    a.gd = st.gd.data();
    a.gds = st.gds.data();
    a.goff = st.goff.data();
    st.bd.resize(T * a.ld_b + 8);
    st.bds.resize(T * a.ld_b + 8);
    st.boff.resize(T * a.ld_b + 8);
    a.bd = st.bd.data();
    a.bds = st.bds.data();
    a.boff = st.boff.data();
    a.qs = st.qs.data();
    a.d = st.d.data();
    a.bsums = st.bsums.data();
  }
  return a;
}

QActs quantize_activations(const KernelSet& ks, GgmlType type, const float* x, int n_tok, int K, ActStorage& st) {
  const auto info = kind_of(type);
  if (!info) throw InputError("no matmul for type " + std::string(ggml_type_name(type)));
  QActs a = layout(*info, K, n_tok, x, st);
  if (info->fmt != ActFormat::f32) ks.quantize(x, static_cast<size_t>(K), a);
  return a;
}

bool matmul_supports(GgmlType type) { return kind_of(type).has_value(); }

std::string_view matmul_kernels_name() { return active_kernels().name; }

void dequantize_row(const Tensor& t, int64_t row, float* out) {
  const uint8_t* p = t.row(row);
  const int n = static_cast<int>(t.cols());
  thread_local std::vector<uint8_t> gguf_row;
  if (t.layout != WeightLayout::gguf) {
    gguf_row.resize(t.row_bytes);
    ungroup_row(t, p, gguf_row.data());
    p = gguf_row.data();
  }
  switch (t.type) {
    case GgmlType::F32: std::copy_n(reinterpret_cast<const float*>(p), n, out); break;
    case GgmlType::F16:
      for (int i = 0; i < n; ++i) out[i] = fp16_to_fp32(reinterpret_cast<const uint16_t*>(p)[i]);
      break;
    case GgmlType::BF16:
      for (int i = 0; i < n; ++i) out[i] = bf16_to_fp32(reinterpret_cast<const uint16_t*>(p)[i]);
      break;
    case GgmlType::Q8_0: dequantize_row_q8_0(reinterpret_cast<const BlockQ8_0*>(p), out, n); break;
    case GgmlType::Q4_0: dequantize_row_q4_0(reinterpret_cast<const BlockQ4_0*>(p), out, n); break;
    case GgmlType::Q4_1: dequantize_row_q4_1(reinterpret_cast<const BlockQ4_1*>(p), out, n); break;
    case GgmlType::Q5_0: dequantize_row_q5_0(reinterpret_cast<const BlockQ5_0*>(p), out, n); break;
    case GgmlType::Q5_1: dequantize_row_q5_1(reinterpret_cast<const BlockQ5_1*>(p), out, n); break;
    case GgmlType::Q4_K: dequantize_row_q4_k(reinterpret_cast<const BlockQ4_K*>(p), out, n); break;
    case GgmlType::Q5_K: dequantize_row_q5_k(reinterpret_cast<const BlockQ5_K*>(p), out, n); break;
    case GgmlType::Q6_K: dequantize_row_q6_k(reinterpret_cast<const BlockQ6_K*>(p), out, n); break;
    default:
      throw InputError("tensor " + t.name + ": cannot dequantise type " + std::string(ggml_type_name(t.type)));
  }
}

namespace {

// Checks every matrix against the first (row length, block multiple); false when their activations
// differ in format, so that they cannot share one quantisation.
bool same_activations(const Tensor* const* Ws, int count, const KindInfo& info, int K) {
  for (int i = 0; i < count; ++i) {
    const Tensor& W = *Ws[i];
    const auto wi = kind_of(W);
    if (!wi) throw InputError("tensor " + W.name + ": no matmul for type " + std::string(ggml_type_name(W.type)));
    if (W.cols() != K) throw InputError("tensor " + W.name + ": row length differs from " + Ws[0]->name + "'s");
    if (K % wi->block != 0)
      throw InputError("tensor " + W.name + ": row length " + std::to_string(K) + " is not a multiple of the " +
                       std::string(ggml_type_name(W.type)) + " block");
    if (wi->fmt != info.fmt || wi->offset != info.offset) return false;
  }
  return true;
}

// Quantises the activations once for every matrix; large batches split across the pool by token.
void quantise_activations(const KernelSet& ks, ThreadPool& pool, const QActs& a, const float* x, int K, int n_tok,
                          bool parallel) {
  const int groups = parallel && n_tok >= 8 ? std::min(n_tok, pool.size() * 4) : 1;
  auto quantise = [&](int g, int) {
    const int t0 = static_cast<int>(int64_t(n_tok) * g / groups), t1 = static_cast<int>(int64_t(n_tok) * (g + 1) / groups);
    QActs part = a;
    part.n_tok = t1 - t0;
    part.qs += t0 * a.ld_qs;
    if (part.qs_il) part.qs_il += t0 * a.ld_qs;
    part.d += t0 * a.ld_d;
    part.bsums += t0 * a.ld_bsums;
    part.gd += t0 * a.ld_g;
    part.gds += t0 * a.ld_g;
    part.goff += t0 * a.ld_g;
    part.bd += t0 * a.ld_b;
    part.bds += t0 * a.ld_b;
    part.boff += t0 * a.ld_b;
    ks.quantize(x + static_cast<size_t>(t0) * K, static_cast<size_t>(K), part);
  };
  if (groups > 1) pool.parallel_for(groups, quantise);
  else quantise(0, 0);
}

struct Piece {
  int matrix;
  int64_t r0, r1;  // rows
  int t0, t1;      // tokens
};

// Row chunks of every matrix in one job (one wake-up and one wait instead of one per matrix): a few per
// thread for balance when a core is busy elsewhere; for batches, bigger chunks so each chunk's weights
// are reused across every token tile while they sit in cache. Chunks are multiples of 8 rows. A batch
// with fewer chunks than 4 per thread (a small model's prompt: stories260K's 64-row matrices make 2) also
// splits each chunk's tokens, so that the threads finish together instead of one waiting for the other's
// last chunk; a (row, token) result is the same whichever call computes it.
void plan_pieces(const Tensor* const* Ws, int count, int64_t rows_total, int n_tok, int threads,
                 std::vector<Piece>& pieces) {
  constexpr int kMinPartTokens = 16;
  const int64_t min_rows = n_tok > 1 ? 32 : 16;
  const int64_t chunk = std::max<int64_t>(min_rows, (rows_total + threads * 8 - 1) / (threads * 8)) / 8 * 8;
  int parts = 1;
  if (threads > 1 && n_tok >= 2 * kMinPartTokens) {
    int64_t chunks = 0;
    for (int i = 0; i < count; ++i) chunks += (Ws[i]->rows() + chunk - 1) / chunk;
    while (chunks * parts < threads * 4 && n_tok / (2 * parts) >= kMinPartTokens) parts *= 2;
  }
  pieces.clear();
  for (int i = 0; i < count; ++i)
    for (int64_t r0 = 0; r0 < Ws[i]->rows(); r0 += chunk) {
      const int64_t r1 = std::min(Ws[i]->rows(), r0 + chunk);
      if (parts == 1) {
        pieces.push_back({i, r0, r1, 0, n_tok});
        continue;
      }
      for (int p = 0; p < parts; ++p)  // token boundaries on multiples of 8
        pieces.push_back({i, r0, r1, p == 0 ? 0 : n_tok * p / parts / 8 * 8,
                          p + 1 == parts ? n_tok : n_tok * (p + 1) / parts / 8 * 8});
    }
}

}  // namespace

void matmul_many_with(const KernelSet& ks, ThreadPool& pool, const Tensor* const* Ws, int count, const float* x,
                      int n_tok, float* const* ys) {
  if (count <= 0) return;
  const Tensor& W0 = *Ws[0];
  const auto info = kind_of(W0);
  if (!info) throw InputError("tensor " + W0.name + ": no matmul for type " + std::string(ggml_type_name(W0.type)));
  const int K = static_cast<int>(W0.cols());
  if (!same_activations(Ws, count, *info, K)) {  // one matrix at a time
    for (int j = 0; j < count; ++j) matmul_many_with(ks, pool, Ws + j, 1, x, n_tok, ys + j);
    return;
  }
  int64_t rows_total = 0;
  for (int i = 0; i < count; ++i) rows_total += Ws[i]->rows();
  thread_local ActStorage storage;
  const QActs a = layout(*info, K, n_tok, x, storage);
  const int64_t work = rows_total * K * static_cast<int64_t>(n_tok);
  const bool parallel = pool.size() > 1 && work >= (1 << 16);

  if (info->fmt != ActFormat::f32) quantise_activations(ks, pool, a, x, K, n_tok, parallel);

  const int threads = parallel ? pool.size() : 1;
  thread_local std::vector<Piece> pieces;
  plan_pieces(Ws, count, rows_total, n_tok, threads, pieces);
  // Batches use the repacking kernels when the set has them (same results, weights unpacked once per tile).
  auto gemm_for = [&](const Tensor& W) {
    const int kind = static_cast<int>(kind_of(W)->kind);
    return n_tok >= kPrefillMinTokens && ks.prefill[kind] ? ks.prefill[kind] : ks.gemm[kind];
  };
  // A thread_local is not captured: the workers must read the caller's list through a pointer.
  const Piece* const piece_list = pieces.data();
  auto run = [&](int c, int) {
    const Piece& p = piece_list[c];
    const Tensor& W = *Ws[p.matrix];
    const size_t ldy = static_cast<size_t>(W.rows());
    gemm_for(W)(W.row(p.r0), W.row_bytes, static_cast<int>(p.r1 - p.r0), a, p.t0, p.t1 - p.t0,
                ys[p.matrix] + p.t0 * ldy + p.r0, ldy);
  };
  const int n_pieces = static_cast<int>(pieces.size());
  if (threads == 1) {
    for (int c = 0; c < n_pieces; ++c) run(c, 0);
  } else {
    pool.parallel_for(n_pieces, run);
  }
}

void matmul_with(const KernelSet& ks, ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y) {
  const Tensor* w = &W;
  matmul_many_with(ks, pool, &w, 1, x, n_tok, &y);
}

void matmul(ThreadPool& pool, const Tensor& W, const float* x, int n_tok, float* y) {
  matmul_with(active_kernels(), pool, W, x, n_tok, y);
}

void matmul_many(ThreadPool& pool, const Tensor* const* Ws, int count, const float* x, int n_tok, float* const* ys) {
  matmul_many_with(active_kernels(), pool, Ws, count, x, n_tok, ys);
}

}  // namespace quant
