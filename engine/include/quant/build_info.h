#pragma once
// How this binary was built (recorded in every JSON output).
#include <string>
#include <vector>
#include <utility>

namespace quant {

struct BuildInfo {
  std::string version;  // the project's version (CMake project())
  std::string git_commit;
  bool git_dirty = false;
  std::string compiler;
  std::string cxx_flags;
  std::string build_type;
  std::vector<std::pair<std::string, std::string>> cmake_options;  // name, value
  std::string simd;  // instruction set the kernels were compiled for
};

const BuildInfo& build_info();

// What --version prints for a tool: version, commit, build type, compiler, flags, CMake options, kernels.
std::string version_text(const std::string& tool);

}  // namespace quant
