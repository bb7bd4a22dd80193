#pragma once
// Perplexity with llama-perplexity's protocol, optionally paired with an fp32-cache session for
// KL divergence, top-1 agreement and a paired PPL difference.
#include <functional>
#include <vector>

#include "quant/session.h"

namespace quant {

struct PerplexityOptions {
  int n_ctx = 512;
  int max_chunks = 0;  // 0 = every full chunk
};

struct KldStats {
  double mean_kld = 0, kld_uncertainty = 0;  // mean KL(base || test) over scored tokens, and its std error
  double top1_agreement = 0;                 // fraction where the argmax token matches
  double ppl_base = 0;
  double ppl_delta = 0, ppl_delta_uncertainty = 0;          // ppl_test - ppl_base, from paired NLL diffs
  double ppl_ratio = 1, ppl_ratio_uncertainty = 0;          // ppl_test / ppl_base
};

struct PerplexityResult {
  int n_tokens = 0;    // tokens in the whole text (BOS included)
  int n_chunks = 0;
  int n_scored = 0;    // predictions scored
  double ppl = 0, ppl_uncertainty = 0, nll_mean = 0;
  int max_tokens_in_cache = 0;
  bool has_kld = false;
  KldStats kld;
};

// `base` (may be null) must use the fp32 cache; both sessions share the same model.
// progress(chunk_done, n_chunks) is called after each chunk.
PerplexityResult run_perplexity(Session& test, Session* base, const std::vector<int>& tokens, int bos,
                                const PerplexityOptions& opts, const std::function<void(int, int)>& progress);

}  // namespace quant
