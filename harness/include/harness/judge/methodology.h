#pragma once
// Methodology rules, checked like claims on every results file behind a release table or a claim:
// the default variant is what users get (CPU-only Release); every build is a Release build; enough
// repetitions and tokens; distinct KV types give distinct results; each cell's cache really held the
// context it is reported at; compared cells used the same threads and build; no test-only slowdown.
#include <string>
#include <vector>

#include "harness/store/results.h"

namespace quant::harness {

struct MethodologyLimits {
  int min_timing_samples = 5;   // timed repetitions per speed measure (all runs' inner repetitions)
  int min_timing_runs = 3;      // separate processes per speed cell
  int min_gen_tokens = 16;      // tg tokens per repetition
  int min_prompt_tokens = 16;   // pp tokens per repetition
  int min_scored_tokens = 1000; // perplexity predictions scored
};

struct RuleViolation {
  std::string rule;  // "default-variant", "release-build", "enough-samples", "distinct-kv", "context-filled",
                     // "same-threads-and-build", "no-test-delay"
  std::string message;
};

std::vector<RuleViolation> check_methodology(const Results& r, const MethodologyLimits& limits = {});

}  // namespace quant::harness
