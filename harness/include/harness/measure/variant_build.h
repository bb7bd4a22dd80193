#pragma once
// Configuring and building one variant in its own build folder, and recording how it was built
// (CMake cache options, compiler, flags). A variant that cannot be built is recorded with the reason;
// its cells are then reported "unsupported: not built", never measured on another build.
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "harness/plan/variants.h"

namespace quant::harness {

struct VariantBuild {
  std::string variant;
  bool built = false;
  std::string reason;     // why it is not built (configure or build error, last lines of the log)
  std::string source;     // "cmake" (built here), "override" (--binary NAME=PATH) or "peer" (prebuilt peer engine)
  std::string build_dir;  // absolute
  std::string binary;     // the quant executable
  std::string log;        // configure + build output
  std::map<std::string, std::string> cache;  // CMAKE_BUILD_TYPE, compiler, flags, ENGINE_* / QUANT_* options
  std::string compiler;   // first line of `<compiler> --version`
  std::string cxx_flags;  // CMAKE_CXX_FLAGS + CMAKE_CXX_FLAGS_<BUILD_TYPE>
  double seconds = 0;
  nlohmann::json peer;    // peer engines: binaries' sha256, version line, README provenance (peer_llamacpp.h)
};

nlohmann::json to_json(const VariantBuild& b);
VariantBuild variant_build_from_json(const nlohmann::json& j);

// cmake -S <root> -B <build_dir> -D..., then cmake --build --target quant. Progress lines go to `log`.
VariantBuild build_variant(const Variant& v, const std::string& root, int jobs, std::ostream& log);
// A prebuilt binary given on the command line (tests, A/B runs); recorded as such.
VariantBuild prebuilt_variant(const Variant& v, const std::string& binary);

// NAME:TYPE=VALUE lines of a CMakeCache.txt; empty when the file is absent.
std::map<std::string, std::string> read_cmake_cache(const std::string& path);

}  // namespace quant::harness
