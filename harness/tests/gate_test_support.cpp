#include "gate_test_support.h"

#include <cstdio>
#include <memory>
#include <vector>

#include "harness/measure/variant_build.h"
#include "harness/sweep/runner.h"

namespace quant::harness::test {

Results fake_sweep(const FakeProject& p, const std::string& out_name, const std::map<std::string, std::string>& env) {
  std::vector<std::unique_ptr<ScopedEnv>> scoped;
  scoped.push_back(std::make_unique<ScopedEnv>("FAKE_QUANT_SEED_FILE", p.root + "/seed-counter"));
  for (const auto& [k, v] : env) scoped.push_back(std::make_unique<ScopedEnv>(k.c_str(), v));
  FakeSearchPath paths(p);
  std::FILE* log = std::tmpfile();
  Results r = run_sweep(p.options(out_name), log).results;
  std::fclose(log);
  return r;
}

PairedOptions fake_paired_options(const FakeProject& p, int pairs, int warmup,
                                  const std::map<std::string, std::string>& base_env,
                                  const std::map<std::string, std::string>& head_env, const std::string& head_binary) {
  PairedOptions o;
  o.root = p.root;
  o.suite_file = p.suite_file;
  o.variants_file = p.variants_file;
  o.pairs = pairs;
  o.warmup = warmup;
  Variant v;
  v.name = "cpu";
  o.arms[0] = {"base", "fake", prebuilt_variant(v, FAKE_QUANT_BIN), base_env};
  o.arms[1] = {"head", "fake", prebuilt_variant(v, head_binary), head_env};
  return o;
}

PairedRun quiet_paired(const PairedOptions& o) {
  std::FILE* log = std::tmpfile();
  PairedRun r = run_paired(o, log);
  std::fclose(log);
  return r;
}

Thresholds fixed_thresholds(double compare, double ratio, double ab) {
  Thresholds t = load_thresholds(std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json");
  for (const char* m : {"pp_tok_s", "tg_tok_s"}) t.timing[m] = {compare, ratio, ab};
  t.calibration = nlohmann::json::object();
  return t;
}

nlohmann::json speed_suite() {
  return {{"kv", {"fp32", "q8_0"}},
          {"metrics",
           {{"speed", {{"n_prompt", 32}, {"n_gen", 16}, {"depths", {0}}, {"inner_reps", 3}, {"reps", 5}, {"warmup", 1}}}}}};
}

}  // namespace quant::harness::test
