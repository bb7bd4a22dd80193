#pragma once
// The gate's subcommands: baseline update/list, compare, claims, ab, calibrate. Each returns the exit
// code: 0 pass, 1 fail (a regression, a failing claim, a broken rule) or error, 2 bad command line;
// compare and ab also 4 (no baseline stored: nothing judged) and 5 (cannot decide: a check could never
// flag a slowdown, e.g. too few repetitions for p < alpha).
#include <memory>
#include <string>
#include <vector>

#include "commands.h"

namespace CLI {
class App;
}

namespace quant::harness::cli {

struct BaselineArgs {
  std::string results;
};
struct CompareArgs {
  std::string results, baseline, thresholds, out, summary;
  bool ratios_only = false;  // judge as if the baseline came from another host of the same class
};
struct ClaimsArgs {
  std::string claims, results, out, summary;
  std::vector<std::string> lint;
};
struct AbArgs {
  std::string base, head, suite = "pr", variant, variants, thresholds, out, summary;
  std::string base_binary, head_binary;
  std::vector<std::string> base_env, head_env;
  std::string method = "duet";  // duet.h; "processes": every pair two `quant --bench` processes
  int pairs = 6, warmup = 1, jobs = 0, slice_tg = 0, slice_pp = 0, duet_processes = 4;
};
struct CalibrateArgs {
  std::string suite = "pr", variant, variants, thresholds, out, binary, from;
  std::string method = "processes";
  int sweeps = 3, pairs = 6, warmup = 1, jobs = 0, slice_tg = 0, slice_pp = 0, duet_processes = 4;
  int count_runs = 3;  // sweeps of the suite's count cells (the counts method); 0 skips them
  bool write = false;
};

// Registers the gate's subcommands on the bench-all command line; run_gate_command returns -1 when
// none of them was chosen.
struct GateCommands;
std::shared_ptr<GateCommands> add_gate_commands(CLI::App& app);
int run_gate_command(const GateCommands& g, const Common& c);

int cmd_baseline_update(const Common& c, const BaselineArgs& a);
int cmd_baseline_list(const Common& c, const std::string& suite);
int cmd_compare(const Common& c, const CompareArgs& a);
int cmd_claims(const Common& c, const ClaimsArgs& a);
int cmd_ab(const Common& c, const AbArgs& a);
int cmd_calibrate(const Common& c, const CalibrateArgs& a);

}  // namespace quant::harness::cli
