#pragma once
// Suites: which models, texts, KV types, variants and metrics a sweep measures, and how often.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/variants.h"

namespace quant::harness {

struct KvPair {
  std::string k, v;
  bool operator==(const KvPair&) const = default;
};

struct SuiteFile {
  std::string name;  // short label used in cell ids and tables
  std::string file;  // file name looked up on the search path (or an absolute path)
};

// Perplexity (and, with kld, KL divergence and top-1 agreement against the fp32 cache).
struct PplSpec {
  std::vector<int> ctx;
  int chunks = 0;     // 0 = every full chunk of the text
  bool kld = true;
  int reps = 1;       // the result is deterministic; more reps check that it is
};

// Prompt processing (pp) and generation (tg) speed at one or more cache depths.
struct SpeedSpec {
  int n_prompt = 0, n_gen = 0;
  std::vector<int> depths;
  int inner_reps = 1;  // `quant --bench -r`: timed repetitions inside one process
  int reps = 1;        // processes per cell (interleaved round-robin across cells)
  int warmup = 0;      // extra processes per cell, run first and left out of the statistics
};

// Deterministic cost: instructions and simulated last-level-cache misses per token of pp and tg, counted
// under Valgrind (callgrind) in the timed region only. The variant must be a build with fixed flags
// (QUANT_NATIVE=OFF) and a pinned kernel set (env QUANT_ISA), so any host with that kernel set
// reproduces the counts; threads are always 1.
struct CountSpec {
  std::string variant;
  std::vector<std::string> models;  // names from the suite's models; empty = every model
  std::vector<KvPair> kv;           // empty = the suite's KV pairs
  int n_prompt = 0, n_gen = 0;
  std::vector<int> depths{0};
  int reps = 1;                     // processes per cell (the counts repeat exactly; 2 shows that they do)
  double timeout_s = 0;             // 0 = the suite's
};

// How often a variant's speed cells repeat, when it differs from the suite's (e.g. a software Vulkan
// driver on CI). Only repetition counts: the measured workload, and so the cell ids, stay the same.
struct RepetitionOverride {
  int reps = -1, inner_reps = -1, warmup = -1;  // -1: the suite's value
};

struct Suite {
  std::string file, sha256;
  std::string name, description;
  std::vector<std::string> variants;
  std::vector<SuiteFile> models, texts;
  std::vector<KvPair> kv;
  int threads = 1;
  double timeout_s = 300;
  bool synthetic_fallback = true;  // no suite model found at all -> measure a generated model
  std::optional<PplSpec> ppl;
  std::optional<SpeedSpec> speed;
  std::optional<CountSpec> counts;
  std::map<std::string, RepetitionOverride> speed_overrides;  // by variant name
};

// `name_or_path`: a path to a .json file, or a suite name looked up as <root>/suites/<name>.json.
std::string suite_path(const std::string& root, const std::string& name_or_path);
// The variants a sweep builds: the suite's, then the count variant when it is not among them.
std::vector<std::string> built_variants(const Suite& s);
// Validates everything, including variant names against `variants` and KV type names against the engine's.
Suite load_suite(const std::string& path, const VariantSet& variants);

}  // namespace quant::harness
