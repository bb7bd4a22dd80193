// Session::fill_random, behind `quant --bench --depth-fill random`: it leaves a cache of the asked length,
// encoded by the cache's own types, the same for the same seed, refuses a depth beyond the context, and
// the model runs on after it.
#include <gtest/gtest.h>

#include <cmath>

#include "quant/backend.h"
#include "quant/error.h"
#include "quant/model.h"
#include "quant/session.h"
#include "quant/synthetic_model.h"
#include "test_support.h"

namespace quant {
namespace {

std::unique_ptr<Model> small_model() {
  SyntheticSpec s;
  s.n_embd = 256;
  s.n_ff = 512;
  s.n_head = 4;
  s.n_head_kv = 2;  // head_dim 64
  const std::string p = test::temp_path("depth-fill.gguf");
  make_synthetic_model(s).write(p);
  return Model::load(p);
}

// Every stored key and value of positions [0, n) decoded: finite, and no two positions alike.
void expect_filled(const KvCache& c, int n, const char* type) {
  const KvCacheConfig& cfg = c.config();
  std::vector<float> a(cfg.head_dim), b(cfg.head_dim);
  for (int layer = 0; layer < cfg.n_layer; ++layer)
    for (int h = 0; h < cfg.n_head_kv; ++h)
      for (bool keys : {true, false}) {
        const KvCodec& codec = keys ? c.k_codec(layer, h) : c.v_codec(layer, h);
        const uint8_t* data = keys ? c.k_data(layer, h) : c.v_data(layer, h);
        for (int pos = 0; pos < n; ++pos) {
          codec.decode(data + pos * codec.bytes_per_vector(), a.data());
          double ss = 0;
          for (float x : a) ss += x * x;
          ASSERT_TRUE(std::isfinite(ss)) << type << " layer " << layer << " pos " << pos;
          ASSERT_GT(ss, 0.0) << type << " layer " << layer << " pos " << pos;
          if (pos > 0) {
            codec.decode(data + (pos - 1) * codec.bytes_per_vector(), b.data());
            ASSERT_NE(a, b) << type << ": positions " << pos - 1 << " and " << pos << " hold the same vector";
          }
        }
      }
}

TEST(DepthFill, LeavesACacheOfTheAskedLengthInEveryKvType) {
  auto m = small_model();
  ThreadPool pool(2);
  auto backend = make_cpu_backend(pool);
  for (KvType t : all_kv_types()) {
    SessionOptions o;
    o.n_ctx = 40;
    o.k_type = o.v_type = t;
    Session s(*m, pool, *backend, o);
    s.fill_random(32, 7);
    EXPECT_EQ(s.n_past(), 32) << kv_type_name(t);
    expect_filled(s.cache(), 32, std::string(kv_type_name(t)).c_str());
    // The model runs on from there: the next token lands at position 32.
    std::vector<float> logits(m->config().n_vocab);
    const int token = 5;
    s.eval(&token, 1, logits.data(), false);
    EXPECT_EQ(s.n_past(), 33);
    for (float x : logits) ASSERT_TRUE(std::isfinite(x)) << kv_type_name(t);
  }
}

TEST(DepthFill, SameSeedSameCacheAnotherSeedAnother) {
  auto m = small_model();
  ThreadPool pool(1);
  auto backend = make_cpu_backend(pool);
  SessionOptions o;
  o.n_ctx = 16;
  o.k_type = KvType::turbo_kv_4b;
  o.v_type = KvType::fp16;
  Session a(*m, pool, *backend, o), b(*m, pool, *backend, o), c(*m, pool, *backend, o);
  a.fill_random(16, 1);
  b.fill_random(16, 1);
  c.fill_random(16, 2);
  const size_t k_bytes = 16 * a.cache().k_codec(0, 0).bytes_per_vector();
  const std::vector<uint8_t> ka(a.cache().k_data(0, 0), a.cache().k_data(0, 0) + k_bytes);
  EXPECT_EQ(ka, std::vector<uint8_t>(b.cache().k_data(0, 0), b.cache().k_data(0, 0) + k_bytes));
  EXPECT_NE(ka, std::vector<uint8_t>(c.cache().k_data(0, 0), c.cache().k_data(0, 0) + k_bytes));
}

TEST(DepthFill, RefusesADepthBeyondTheContext) {
  auto m = small_model();
  ThreadPool pool(1);
  auto backend = make_cpu_backend(pool);
  SessionOptions o;
  o.n_ctx = 16;
  Session s(*m, pool, *backend, o);
  EXPECT_THROW(s.fill_random(17, 1), InputError);
  EXPECT_THROW(s.fill_random(-1, 1), InputError);
  EXPECT_EQ(s.n_past(), 0);
}

}  // namespace
}  // namespace quant
