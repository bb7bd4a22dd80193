#include "quant/sampler.h"

#include <algorithm>
#include <cmath>

namespace quant {

int Sampler::sample(const float* logits, int n) {
  if (opts_.temperature <= 0) return static_cast<int>(std::max_element(logits, logits + n) - logits);
  cand_.resize(n);
  for (int i = 0; i < n; ++i) cand_[i] = {logits[i] / opts_.temperature, i};
  int k = (opts_.top_k > 0 && opts_.top_k < n) ? opts_.top_k : n;
  std::partial_sort(cand_.begin(), cand_.begin() + k, cand_.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  cand_.resize(k);
  const float mx = cand_[0].first;
  double sum = 0;
  for (auto& c : cand_) sum += c.first = std::exp(c.first - mx);
  // Keep the smallest prefix whose probability mass reaches top_p.
  double mass = 0;
  size_t keep = cand_.size();
  for (size_t i = 0; i < cand_.size(); ++i) {
    mass += cand_[i].first / sum;
    if (mass >= opts_.top_p) { keep = i + 1; break; }
  }
  cand_.resize(keep);
  double total = 0;
  for (auto& c : cand_) total += c.first;
  std::uniform_real_distribution<double> u(0.0, total);
  double r = u(rng_);
  for (auto& c : cand_) {
    if ((r -= c.first) <= 0) return c.second;
  }
  return cand_.back().second;
}

}  // namespace quant
