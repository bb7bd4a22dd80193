#include "quant/build_info.h"

#include "build_config.inc"
#include "git_info.inc"

namespace quant {

const BuildInfo& build_info() {
  static const BuildInfo info = [] {
    BuildInfo b;
    b.version = QUANT_VERSION;
    b.git_commit = QUANT_GIT_COMMIT;
    b.git_dirty = QUANT_GIT_DIRTY;
    b.compiler = QUANT_BUILD_COMPILER;
    b.cxx_flags = QUANT_BUILD_CXX_FLAGS;
    b.build_type = QUANT_BUILD_TYPE;
    std::string opts = QUANT_BUILD_OPTIONS;
    size_t start = 0;
    while (start < opts.size()) {
      size_t end = opts.find(',', start);
      if (end == std::string::npos) end = opts.size();
      std::string kv = opts.substr(start, end - start);
      size_t eq = kv.find('=');
      if (eq != std::string::npos) b.cmake_options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      start = end + 1;
    }
#if defined(__AVX512F__)
    b.simd = "avx512";
#elif defined(__AVX2__)
    b.simd = "avx2";
#else
    b.simd = "scalar";
#endif
    return b;
  }();
  return info;
}

std::string version_text(const std::string& tool) {
  const BuildInfo& b = build_info();
  std::string opts;
  for (const auto& [k, v] : b.cmake_options) opts += (opts.empty() ? "" : " ") + k + "=" + v;
  return tool + " " + b.version + "\ncommit: " + b.git_commit + (b.git_dirty ? " (with uncommitted changes)" : "") +
         "\nbuild type: " + b.build_type + "\ncompiler: " + b.compiler + "\nflags: " + b.cxx_flags +
         "\noptions: " + opts + "\nkernels compiled for: " + b.simd;
}

}  // namespace quant
