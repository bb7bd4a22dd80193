#include "lint_files.h"

#include <glob.h>

#include <filesystem>

namespace quant::harness::cli {

LintFiles expand_lint_args(const std::vector<std::string>& args) {
  LintFiles out;
  for (const auto& a : args) {
    // An existing file, or a name without wildcards (its error comes when it is read), is kept as given.
    if (std::filesystem::exists(a) || a.find_first_of("*?[") == std::string::npos) {
      out.files.push_back(a);
      continue;
    }
    glob_t g{};
    if (glob(a.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) out.files.push_back(g.gl_pathv[i]);
    else
      out.empty_patterns.push_back(a);
    globfree(&g);
  }
  return out;
}

}  // namespace quant::harness::cli
