// The release notes' "Claims" section (Markdown): every claim checked against the release's results.
#include <filesystem>
#include <sstream>

#include "harness/claims/claims.h"

namespace quant::harness {

std::string release_claims_section(const std::string& claims_file, const std::string& link, const Results& r) {
  if (!std::filesystem::exists(claims_file)) return "";
  const ClaimsFile f = load_claims(claims_file);
  std::ostringstream o;
  o << "Every claim of the project's claims file checked by bench-all against these results:\n\n";
  for (const auto& c : f.claims) {
    const ClaimOutcome co = evaluate_claim(c, r);
    bool absent = true;
    for (const auto& ch : co.checks) absent &= ch.absent;
    if (absent) {
      o << "- `" << c.id << "`: not covered by the cells of this run.\n";
      continue;
    }
    std::string figs;
    for (const auto& ch : co.checks)
      if (!ch.figure.empty()) figs += (figs.empty() ? "" : "; ") + ch.figure;
    o << "- **" << (co.pass ? "holds" : "FAILS") << "** [claim: " << c.id << "](" << link << "): " << c.text;
    if (!figs.empty()) o << " Measured: `" << figs << "`.";
    for (const auto& reason : co.reasons) o << " Why it fails: `" << reason << "`.";
    o << "\n";
  }
  return o.str();
}

}  // namespace quant::harness
