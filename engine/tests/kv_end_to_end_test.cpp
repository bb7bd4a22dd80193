// Every KV type through the real model (stories260K, tinystories_a, -c 256, 8 chunks): a type whose
// perplexity equals fp32's to the last bit never reached the cache. TurboQuant's error falls with bits.
#include <gtest/gtest.h>

#include <cmath>

#include "quant/backend.h"
#include "quant/model.h"
#include "quant/perplexity.h"
#include "quant/session.h"
#include "quant/tokenizer.h"
#include "test_support.h"

namespace quant {
namespace {

class KvEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string model = test::shared_file("models/stories260K.gguf");
    const std::string text = test::shared_file("data/tinystories_a.txt");
    if (model.empty() || text.empty())
      END_TEST_MISSING_SHARED(test::shared_dir() + "/models/stories260K.gguf or data/tinystories_a.txt");
    model_ = Model::load(model);
    tok_ = Tokenizer::from_gguf(model_->file());
    backend_ = make_cpu_backend(pool_);
    tokens_ = tok_->encode(test::read_text(text), true);
  }
  PerplexityResult run(KvType k, KvType v, bool kld) {
    auto session = [&](KvType kt, KvType vt) {
      SessionOptions o;
      o.n_ctx = 256;
      o.k_type = kt;
      o.v_type = vt;
      return std::make_unique<Session>(*model_, pool_, *backend_, o);
    };
    auto test = session(k, v);
    auto base = kld ? session(KvType::fp32, KvType::fp32) : nullptr;
    PerplexityOptions po;
    po.n_ctx = 256;
    po.max_chunks = 8;
    return run_perplexity(*test, base.get(), tokens_, tok_->bos(), po, nullptr);
  }

  ThreadPool pool_{1};  // one thread: the model is tiny and CI machines are shared
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
  std::unique_ptr<Backend> backend_;
  std::vector<int> tokens_;
};

TEST_F(KvEndToEnd, EveryTypeReachesTheKeyAndTheValueCache) {
  const double fp32 = run(KvType::fp32, KvType::fp32, false).ppl;
  for (KvType t : all_kv_types()) {
    if (t == KvType::fp32) continue;
    const double as_k = run(t, KvType::fp32, false).ppl, as_v = run(KvType::fp32, t, false).ppl;
    EXPECT_NE(as_k, fp32) << "-k " << kv_type_name(t) << " gave fp32's perplexity";
    EXPECT_NE(as_v, fp32) << "-v " << kv_type_name(t) << " gave fp32's perplexity";
    EXPECT_TRUE(std::isfinite(as_k) && std::isfinite(as_v)) << kv_type_name(t);
  }
}

TEST_F(KvEndToEnd, TurboKeyErrorFallsWithBits) {
  auto kld = [&](KvType k) { return run(k, KvType::fp16, true).kld.mean_kld; };
  const double b3 = kld(KvType::turbo_kv_3b), b4 = kld(KvType::turbo_kv_4b), b5 = kld(KvType::turbo_kv_5b);
  const double b4o = kld(KvType::turbo_kv_4bo);
  EXPECT_LT(b5, b4);
  EXPECT_LT(b4, b3);
  EXPECT_LT(b4o, b4);
  EXPECT_GT(b5, 0.0);
}

}  // namespace
}  // namespace quant
