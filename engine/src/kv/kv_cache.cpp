#include "quant/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/error.h"
#include "softmax.h"

namespace quant {

namespace {
// A distinct, reproducible seed per (layer, head, K/V) so every head gets its own rotation.
uint64_t codec_seed(int layer, int head, int which) {
  uint64_t x = (static_cast<uint64_t>(layer) << 32) ^ (static_cast<uint64_t>(head) << 8) ^ static_cast<uint64_t>(which);
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

KvCache::KvCache(const KvCacheConfig& cfg)
    : KvCache(cfg, [](KvType type, int dim, uint64_t seed) { return make_kv_codec(type, dim, seed); }) {}

KvCache::KvCache(const KvCacheConfig& cfg, const KvCodecFactory& make_codec) : cfg_(cfg) {
  if (cfg.capacity <= 0 || cfg.n_layer <= 0 || cfg.n_head_kv <= 0 || cfg.head_dim <= 0)
    throw InputError("KV cache: invalid geometry");
  const int n = cfg.n_layer * cfg.n_head_kv;
  for (int i = 0; i < n; ++i) {
    int layer = i / cfg.n_head_kv, head = i % cfg.n_head_kv;
    k_codecs_.push_back(make_codec(cfg.k_type, cfg.head_dim, codec_seed(layer, head, 0)));
    v_codecs_.push_back(make_codec(cfg.v_type, cfg.head_dim, codec_seed(layer, head, 1)));
  }
  k_vec_bytes_ = k_codecs_[0]->bytes_per_vector();
  v_vec_bytes_ = v_codecs_[0]->bytes_per_vector();
  k_.assign(static_cast<size_t>(n) * cfg.capacity * k_vec_bytes_, 0);
  v_.assign(static_cast<size_t>(n) * cfg.capacity * v_vec_bytes_, 0);
}

size_t KvCache::k_bytes_per_token() const { return k_vec_bytes_ * cfg_.n_layer * cfg_.n_head_kv; }
size_t KvCache::v_bytes_per_token() const { return v_vec_bytes_ * cfg_.n_layer * cfg_.n_head_kv; }
size_t KvCache::allocated_bytes() const { return k_.size() + v_.size(); }

const uint8_t* KvCache::k_data(int layer, int head) const {
  return k_.data() + (static_cast<size_t>(layer) * cfg_.n_head_kv + head) * cfg_.capacity * k_vec_bytes_;
}

const uint8_t* KvCache::v_data(int layer, int head) const {
  return v_.data() + (static_cast<size_t>(layer) * cfg_.n_head_kv + head) * cfg_.capacity * v_vec_bytes_;
}

// Per query head of a group: the prepared query (its codec's size), the value accumulator (head_dim) and
// one weight per position.
size_t KvCache::scratch_floats(const AttentionParams& p, int n_positions) const {
  const size_t group = static_cast<size_t>(p.n_head / cfg_.n_head_kv);
  return group * (static_cast<size_t>(k_codecs_[0]->prepared_floats()) + cfg_.head_dim + n_positions);
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
  if (pos < 0 || pos >= cfg_.capacity)
    throw InputError("context full: position " + std::to_string(pos) + " exceeds the KV cache capacity " +
                     std::to_string(cfg_.capacity) + " (raise -c)");
  for (int h = 0; h < cfg_.n_head_kv; ++h) {
    size_t slot = (static_cast<size_t>(layer) * cfg_.n_head_kv + h) * cfg_.capacity + pos;
    k_codec(layer, h).encode(k + h * cfg_.head_dim, k_.data() + slot * k_vec_bytes_);
    v_codec(layer, h).encode(v + h * cfg_.head_dim, v_.data() + slot * v_vec_bytes_);
  }
}

// All the query heads that share KV head `kvh`, at one position: the keys and values are read in one pass
// for the whole group (scores and value sums are computed from the stored codes by the codecs).
void KvCache::attend_group(int layer, int pos, int kvh, const float* q, float* out, const AttentionParams& p,
                           float* scratch) const {
  const int hd = cfg_.head_dim;
  const int group = p.n_head / cfg_.n_head_kv;
  const int begin = p.window > 0 ? std::max(0, pos - p.window + 1) : 0;
  const int n = pos - begin + 1;
  const KvCodec& kc = k_codec(layer, kvh);
  const KvCodec& vc = v_codec(layer, kvh);
  const size_t slot0 = (static_cast<size_t>(layer) * cfg_.n_head_kv + kvh) * cfg_.capacity + begin;
  const int qp_size = kc.prepared_floats();

  float* qp = scratch;                // group x prepared query
  float* acc = qp + group * qp_size;  // group x head_dim
  float* att = acc + group * hd;      // group x n
  const int head0 = kvh * group;
  for (int g = 0; g < group; ++g) kc.prepare_query(q + (head0 + g) * hd, qp + g * qp_size);
  kc.score(qp, group, k_.data() + slot0 * k_vec_bytes_, k_vec_bytes_, n, att);
  for (int g = 0; g < group; ++g) kv::softmax(att + static_cast<size_t>(g) * n, n, p.scale);
  std::fill_n(acc, group * hd, 0.0f);
  vc.accumulate(att, group, v_.data() + slot0 * v_vec_bytes_, v_vec_bytes_, n, acc);
  for (int g = 0; g < group; ++g) vc.finish_value(acc + g * hd, out + (head0 + g) * hd);
}

void KvCache::attend(int layer, int pos, const float* q, float* out, const AttentionParams& p) const {
  thread_local std::vector<float> scratch;
  scratch.resize(scratch_floats(p, pos + 1));
  for (int h = 0; h < cfg_.n_head_kv; ++h) attend_group(layer, pos, h, q, out, p, scratch.data());
}

void KvCache::attend_batch(ThreadPool& pool, int layer, int pos0, int n, const float* q, float* out,
                           const AttentionParams& p) const {
  const int q_width = p.n_head * cfg_.head_dim;
  const int tasks = n * cfg_.n_head_kv;
  // Few positions of a small model: the hand-off would cost more than the work.
  const bool parallel = static_cast<int64_t>(n) * p.n_head * (pos0 + n) * cfg_.head_dim >= (1 << 15);
  auto run = [&](int task, int) {
    thread_local std::vector<float> scratch;
    scratch.resize(scratch_floats(p, pos0 + n));
    const int t = task / cfg_.n_head_kv, h = task % cfg_.n_head_kv;
    attend_group(layer, pos0 + t, h, q + static_cast<size_t>(t) * q_width, out + static_cast<size_t>(t) * q_width, p,
                 scratch.data());
  };
  if (parallel) {
    // A prompt's tasks are many and small (stories260K: 512 of about a microsecond per layer), and every
    // claim of a task is an atomic shared by the threads: claim strided bundles of them instead. Strided,
    // so that each bundle gets early (short) and late (long) positions alike.
    const int jobs = std::min(tasks, pool.size() * 8);
    pool.parallel_for(jobs, [&](int job, int thread) {
      for (int task = job; task < tasks; task += jobs) run(task, thread);
    });
  } else {
    for (int i = 0; i < tasks; ++i) run(i, 0);
  }
}

}  // namespace quant
