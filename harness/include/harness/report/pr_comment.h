#pragma once
// The short answer on a pull request: one sticky comment (found again by its marker and updated on each
// push), built from the gate's verdict.json and the claims checked against the same run: regressions
// first, then claims that fail, then a link to the full report. Short by design: long lists are cut
// with a count, the rest is in the report artifact.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace quant::harness {

inline constexpr const char* kPrCommentMarker = "<!-- bench-all:pr-comment -->";

struct FailingClaim {
  std::string id, text;
  std::vector<std::string> reasons;
};

struct PrCommentOptions {
  std::string report_url;  // the full report (e.g. the workflow run with its artifact); empty: no link
  std::string head;        // the commit measured, shown in the title line when given
  int max_rows = 10;       // per list
};

// `verdict`: a bench-all.verdict document (bench-all compare / ab). InputError naming `source` when it
// is not one.
std::string render_pr_comment(const nlohmann::json& verdict, const std::string& source,
                              const std::vector<FailingClaim>& claims, const PrCommentOptions& o);

}  // namespace quant::harness
