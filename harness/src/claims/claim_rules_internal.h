#pragma once
// Wording rules for comparative, winning, parity, hedged, superlative and spelled-out factor wording
// (claim_rank_rules.cpp); wording_problems (claim_rules.cpp) adds them to the figure rules.
#include <string>
#include <vector>

#include "harness/claims/claims.h"

namespace quant::harness {

std::vector<std::string> ranking_wording_problems(const std::string& sentence, const Claim& claim,
                                                  const std::vector<CheckOutcome>& outcomes, const Results& r);

}  // namespace quant::harness
