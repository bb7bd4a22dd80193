#pragma once
// claims.json (schema "bench-all.claims-verdict"), written by `bench-all claims --out DIR` beside
// claims.md: every claim's verdict and each check's measured value, interval, compared bound, cells and
// reason, the methodology rules broken, and each linted document's problems and not-a-claim escapes,
// with numbers as numbers. Format in docs/bench-all-gate.md.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/claims/claims.h"
#include "harness/claims/doc_lint.h"
#include "harness/store/results.h"

namespace quant::harness {

struct LintedDoc {
  std::string file;
  std::vector<LintProblem> problems;
  std::vector<LintEscape> escapes;
};

// One claim against the results: "holds", "fails" or "not covered" (no check's cell is in the run).
nlohmann::json claim_verdict_json(const Claim& c, const ClaimOutcome& o);

nlohmann::json claims_report_json(const ClaimsFile& claims, const Results* results, const std::string& results_file,
                                  const std::vector<LintedDoc>& docs);

}  // namespace quant::harness
