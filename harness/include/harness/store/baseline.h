#pragma once
// Baselines: stored results files, reviewed in git like code, one per suite, machine class and variant:
//   baselines/<suite>/<machine slug>/<variant>.json
// A machine class is the fingerprint (CPU model, cores, OS kernel name and architecture) of the
// machine that ran the sweep. Absolute timings are only compared within one machine class.
#include <optional>
#include <string>
#include <vector>

#include "harness/store/results.h"

namespace quant::harness {

struct Machine {
  std::string cpu_model, os;  // os: kernel name and architecture, e.g. "Linux x86_64" (no kernel release)
  int n_cores = 0;
  bool operator==(const Machine&) const = default;
  std::string text() const;   // "AMD EPYC, 2 cores, Linux x86_64"
  std::string slug() const;   // "amd-epyc-2c-linux-x86_64"
};

// The machine a results file was measured on; a merge of shards from different machines has none.
std::optional<Machine> machine_of(const Results& r);

struct BaselineFile {
  std::string path, variant;
  Machine machine;
};

// Folder of a suite's baselines: <root>/baselines/<suite>.
std::string baseline_dir(const std::string& root, const std::string& suite);

// Writes one baseline per variant with ok cells (only those cells; build logs left out). Refuses shards,
// runs with a test delay, and results without any ok cell. Returns the files written; `log` gets notes
// about cells left out.
std::vector<std::string> update_baseline(const Results& r, const std::string& root, std::ostream& log);

// Every stored baseline of a suite.
std::vector<BaselineFile> list_baselines(const std::string& root, const std::string& suite);

// The baseline for this variant: the same machine class when there is one, else the most similar
// (same CPU model, then same core count) with `same_machine` false. Nothing when the suite has none.
struct BaselineChoice {
  BaselineFile file;
  bool same_machine = false;
};
std::optional<BaselineChoice> choose_baseline(const std::vector<BaselineFile>& all, const std::string& variant,
                                              const Machine& machine);

// Restricts results to one variant's ok cells (what a baseline stores).
Results baseline_of_variant(const Results& r, const std::string& variant);

// The test delay (QUANT_TEST_DELAY_US) a run was measured with, 0 when none.
double test_delay_us(const RunRecord& run);
// QUANT_TEST_EXTRA_WORK a run was measured with (0 when none): refused like the delay.
double test_extra_work(const RunRecord& run);

}  // namespace quant::harness
