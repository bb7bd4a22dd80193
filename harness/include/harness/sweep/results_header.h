#pragma once
// The head of a results file, written alike by a sweep and by each arm of an A/B run: the suite, the plan's
// identity, bench-all's build, the machine and the inputs. The caller adds the run's id, start and command.
#include <string>

#include "harness/plan/inputs.h"
#include "harness/plan/suite.h"
#include "harness/plan/variants.h"
#include "harness/store/results.h"

namespace quant::harness {

Results results_header(const Suite& suite, const std::string& root, const std::string& plan_sha256, int plan_cells,
                       const Inputs& inputs);

// Describes the default variant, unbuilt for `reason`, when the results do not name it yet: reports compare
// every variant to it.
void describe_default_variant(Results& r, const VariantSet& variants, const std::string& reason);

}  // namespace quant::harness
