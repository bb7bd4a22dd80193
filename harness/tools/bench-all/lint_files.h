#pragma once
// The documents `bench-all claims --lint` reads. A shell passes a pattern that matches nothing as
// written (`reports/releases/*.md` on a fresh clone, before any release): such a pattern is expanded
// here and matching no file means nothing to lint, so the documented command works as written.
#include <string>
#include <vector>

namespace quant::harness::cli {

struct LintFiles {
  std::vector<std::string> files;
  std::vector<std::string> empty_patterns;  // patterns that matched no file
};

LintFiles expand_lint_args(const std::vector<std::string>& args);

}  // namespace quant::harness::cli
