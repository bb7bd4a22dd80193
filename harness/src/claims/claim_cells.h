#pragma once
// Finding the cells a claim check names (claim_cells.cpp), shared by the checks and the wording rules.
#include <string>

#include "harness/claims/claims.h"

namespace quant::harness {

std::string kv_text(const KvPair& kv);  // "q8_0" or "q8_0/fp16"

// The one cell a selector names; nullptr and `error` ("no ..." when the results hold none) otherwise.
// `first_of_many`: several matches are fine (figures that depend only on the KV pair, such as
// compression) and the first measured one is used.
const CellResult* select_cell(const ClaimSelect& s, Metric m, const Results& r, std::string& error,
                              bool first_of_many = false);

}  // namespace quant::harness
