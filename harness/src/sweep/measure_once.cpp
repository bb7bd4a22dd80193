#include "harness/sweep/measure_once.h"

#include "harness/measure/counts.h"
#include "harness/measure/peer_llamacpp.h"
#include "harness/measure/quant_run.h"
#include "harness/util/process.h"

namespace quant::harness {

namespace {

RunRecord run_repetition(const RunTarget& t, const Inputs& inputs, const Cell& cell, int index) {
  const Variant& v = t.variant;
  const std::string date = utc_now();
  if (cell.metric == Metric::counts) return run_count(cell, index, v, t.binary, inputs, date);
  if (v.is_peer()) {
    const auto argv = llamacpp_command(cell, v, t.build_dir, inputs);
    return interpret_llamacpp_run(cell, index, v, inputs, argv, run_llamacpp(argv, cell.timeout_s), date);
  }
  const ProcessResult p = run_process(quant_command(cell, v, t.binary, inputs), v.env, cell.timeout_s);
  return interpret_run(cell, index, v, inputs, p, date);
}

}  // namespace

const RunRecord& measure_once(const RunTarget& target, const Inputs& inputs, int index, CellResult& into,
                              const std::function<void(RunRecord&)>& vet) {
  RunRecord run = run_repetition(target, inputs, into.cell, index);
  if (vet) vet(run);
  into.runs.push_back(std::move(run));
  return into.runs.back();
}

}  // namespace quant::harness
