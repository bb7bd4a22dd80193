#pragma once
// Variants: named builds of the engine (CMake options + environment). Exactly one is the default,
// the CPU-only Release build users get; every figure is measured on a variant and says which.
// A variant of kind "llama.cpp" is a peer engine instead: prebuilt llama-bench / llama-perplexity
// measured in the same sweep (peer_llamacpp.h), reported beside quant and never gated.
#include <map>
#include <string>
#include <vector>

namespace quant::harness {

struct Variant {
  std::string name;
  std::string kind = "quant";  // "quant" (this project, built with CMake) or "llama.cpp" (a peer engine)
  std::string description;
  bool is_default = false;
  std::string backend;      // what `quant --backend` is given and what backend.used must report
  std::string build_type;   // CMAKE_BUILD_TYPE
  std::map<std::string, std::string> cmake_options;  // -D<name>=<value>
  std::map<std::string, std::string> env;            // environment for configure, build and runs
  std::string build_dir;    // relative to the project root
  // Peers: candidate folders of the binaries ("$VAR" expanded, relative to the project root); the first
  // whose variables are all set is used, and none after it (an override never falls back silently).
  std::vector<std::string> bin_dir;
  std::string flash_attn = "needed";  // peers: "needed" (on only for a quantised V cache), "on", "off"
  bool is_peer() const { return kind != "quant"; }
};

struct VariantSet {
  std::string file;
  std::vector<Variant> variants;
  const Variant& default_variant() const;
  const Variant* find(const std::string& name) const;
};

// Validates the file: unique names, exactly one default, which must be a CPU-only Release build.
VariantSet load_variants(const std::string& path);

}  // namespace quant::harness
