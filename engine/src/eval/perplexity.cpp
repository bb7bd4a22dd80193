// Chunks of n_ctx tokens, each starting fresh with BOS; the second half of each chunk is scored:
// logits at positions n_ctx/2 .. n_ctx-2 predict tokens n_ctx/2+1 .. n_ctx-1.
// PPL = exp(mean NLL); uncertainty = PPL * sqrt(var(NLL) / (count - 1)) as llama-perplexity prints it.
#include "quant/perplexity.h"

#include <algorithm>
#include <cmath>

#include "quant/error.h"

namespace quant {

namespace {

struct LogSoftmax {
  std::vector<double> logp;
  int argmax = 0;
};

void log_softmax(const float* logits, int n, LogSoftmax& out) {
  out.logp.resize(n);
  float mx = logits[0];
  int am = 0;
  for (int i = 1; i < n; ++i)
    if (logits[i] > mx) { mx = logits[i]; am = i; }
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  const double lse = std::log(sum);
  for (int i = 0; i < n; ++i) out.logp[i] = static_cast<double>(logits[i]) - mx - lse;
  out.argmax = am;
}

// Mean and "uncertainty of the mean" as llama-perplexity computes it.
void mean_and_error(const std::vector<double>& v, double& mean, double& err) {
  double s = 0, s2 = 0;
  for (double x : v) { s += x; s2 += x * x; }
  const double n = static_cast<double>(v.size());
  mean = s / n;
  double var = s2 / n - mean * mean;
  err = (var > 0 && v.size() > 1) ? std::sqrt(var / (n - 1)) : 0.0;
}

}  // namespace

PerplexityResult run_perplexity(Session& test, Session* base, const std::vector<int>& tokens, int bos,
                                const PerplexityOptions& opts, const std::function<void(int, int)>& progress) {
  const int ctx = opts.n_ctx;
  if (ctx < 4) throw InputError("-c: context " + std::to_string(ctx) + " is too small for perplexity (minimum 4)");
  if (ctx > test.n_ctx()) throw InputError("-c: context larger than the session capacity");
  PerplexityResult r;
  r.n_tokens = static_cast<int>(tokens.size());
  int n_chunks = r.n_tokens / ctx;
  if (opts.max_chunks > 0) n_chunks = std::min(n_chunks, opts.max_chunks);
  if (n_chunks < 1)
    throw InputError("text has " + std::to_string(r.n_tokens) + " tokens, fewer than one chunk of -c " +
                     std::to_string(ctx));
  r.n_chunks = n_chunks;
  const int n_vocab = test.model().config().n_vocab;
  const int first = ctx / 2;

  std::vector<float> logits(static_cast<size_t>(ctx) * n_vocab), base_logits;
  if (base) base_logits.resize(logits.size());
  std::vector<double> nll, base_nll, kld;
  int agree = 0;
  LogSoftmax ls, lb;
  std::vector<int> chunk(ctx);
  for (int c = 0; c < n_chunks; ++c) {
    std::copy_n(tokens.begin() + static_cast<size_t>(c) * ctx, ctx, chunk.begin());
    if (bos >= 0) chunk[0] = bos;
    test.reset();
    test.eval(chunk.data(), ctx, logits.data(), true);
    r.max_tokens_in_cache = std::max(r.max_tokens_in_cache, test.n_past());
    if (base) {
      base->reset();
      base->eval(chunk.data(), ctx, base_logits.data(), true);
    }
    for (int j = first; j < ctx - 1; ++j) {
      const int target = tokens[static_cast<size_t>(c) * ctx + j + 1];
      log_softmax(&logits[static_cast<size_t>(j) * n_vocab], n_vocab, ls);
      nll.push_back(-ls.logp[target]);
      if (base) {
        log_softmax(&base_logits[static_cast<size_t>(j) * n_vocab], n_vocab, lb);
        base_nll.push_back(-lb.logp[target]);
        double kl = 0;
        for (int i = 0; i < n_vocab; ++i) kl += std::exp(lb.logp[i]) * (lb.logp[i] - ls.logp[i]);
        kld.push_back(std::max(0.0, kl));
        agree += ls.argmax == lb.argmax;
      }
    }
    if (progress) progress(c + 1, n_chunks);
  }
  r.n_scored = static_cast<int>(nll.size());
  double err;
  mean_and_error(nll, r.nll_mean, err);
  r.ppl = std::exp(r.nll_mean);
  r.ppl_uncertainty = r.ppl * err;
  if (base) {
    r.has_kld = true;
    KldStats& k = r.kld;
    mean_and_error(kld, k.mean_kld, k.kld_uncertainty);
    k.top1_agreement = static_cast<double>(agree) / r.n_scored;
    double base_mean, base_err;
    mean_and_error(base_nll, base_mean, base_err);
    k.ppl_base = std::exp(base_mean);
    std::vector<double> diff(nll.size());
    for (size_t i = 0; i < nll.size(); ++i) diff[i] = nll[i] - base_nll[i];
    double dmean, derr;
    mean_and_error(diff, dmean, derr);
    // ppl_test / ppl_base = exp(mean paired difference); the error follows by the delta method.
    k.ppl_ratio = std::exp(dmean);
    k.ppl_ratio_uncertainty = k.ppl_ratio * derr;
    k.ppl_delta = r.ppl - k.ppl_base;
    k.ppl_delta_uncertainty = k.ppl_base * k.ppl_ratio_uncertainty;
  }
  return r;
}

}  // namespace quant
