#pragma once
// The bench-all subcommands; each returns the process exit code.
#include <string>
#include <vector>

namespace quant::harness::cli {

struct Common {
  std::string root;
};
struct RunArgs {
  std::string suite = "smoke", variants, out, resume, shard;
  std::vector<std::string> binaries;
  int jobs = 0;  // 0: number of cores
  bool no_plots = false;
  int max_runs = -1;
};
struct BuildArgs {
  std::string variants;
  std::vector<std::string> names;
  int jobs = 0;
};
struct ReportArgs {
  std::string results, out;
  bool check = false, no_plots = false;
};
struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out;
  bool no_plots = false;
};
struct ReleaseArgs {
  std::string version, results, previous;
  std::string preview, out;  // --preview RESULTS: any suite's results, written to --out, never a release
  bool force = false;
};
struct PlanArgs {
  std::string suite = "smoke", variants, shard;
};
struct ValidateArgs {
  std::vector<std::string> suites;
  std::string variants;
};

int cmd_run(const Common& c, const RunArgs& a);
int cmd_build(const Common& c, const BuildArgs& a);
int cmd_report(const Common& c, const ReportArgs& a);
int cmd_merge(const Common& c, const MergeArgs& a);
int cmd_release_notes(const Common& c, const ReleaseArgs& a);
int cmd_plan(const Common& c, const PlanArgs& a);
int cmd_validate(const Common& c, const ValidateArgs& a);

}  // namespace quant::harness::cli
