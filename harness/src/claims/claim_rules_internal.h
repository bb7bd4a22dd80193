#pragma once
// Wording rules for comparative, winning, parity, hedged, superlative and spelled-out factor wording
// (claim_rank_rules.cpp); wording_problems (claim_rules.cpp) adds them to the figure rules.
#include <string>
#include <vector>

#include "harness/claims/claim_wording.h"
#include "harness/claims/claims.h"

namespace quant::harness {

// What every wording rule reads (the sentence, its claim and the claim's outcomes) and where it writes.
struct WordingCtx {
  const std::string& sentence;
  const Claim& claim;
  const std::vector<CheckOutcome>& outcomes;
  const Results& r;
  std::string quoted;  // the sentence in quotes, cut at 120 characters
  std::vector<std::string>& problems;

  template <class Pred>
  bool passing(Pred pred) const {
    for (size_t i = 0; i < claim.checks.size(); ++i)
      if (outcomes[i].pass && pred(claim.checks[i])) return true;
    return false;
  }
  // " (measured: ...)" with every check's figure, or only those of one measure.
  std::string figures() const;
  std::string figures_of(Measure m) const;
  // A finding's rule failed: "<sentence> says '<phrase>' (<kind>), which needs <need>; claim X has none ...".
  void fail(const ClaimFinding& f, const std::string& need) const;
};

std::string quoted_sentence(const std::string& sentence);

std::vector<std::string> ranking_wording_problems(const std::string& sentence, const Claim& claim,
                                                  const std::vector<CheckOutcome>& outcomes, const Results& r);

}  // namespace quant::harness
