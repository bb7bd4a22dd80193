#include "harness/sweep/results_header.h"

#include <filesystem>

namespace quant::harness {

Results results_header(const Suite& suite, const std::string& root, const std::string& plan_sha256, int plan_cells,
                       const Inputs& inputs) {
  Results r;
  r.suite_name = suite.name;
  r.suite_file = std::filesystem::path(suite.file).lexically_proximate(root).string();
  r.suite_sha256 = suite.sha256;
  r.suite_description = suite.description;
  r.plan_sha256 = plan_sha256;
  r.plan_cells = plan_cells;
  r.harness = harness_build_info();
  r.system = system_info();
  r.inputs = inputs;
  return r;
}

void describe_default_variant(Results& r, const VariantSet& variants, const std::string& reason) {
  const Variant& def = variants.default_variant();
  if (r.variant(def.name)) return;
  VariantResult vr{def, {}};
  vr.build.variant = def.name;
  vr.build.reason = reason;
  r.variants.insert(r.variants.begin(), vr);
}

}  // namespace quant::harness
