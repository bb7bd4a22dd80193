#pragma once
// One repetition of a cell: the `quant --json` command line, and turning its exit status and JSON into
// a run record. Every check that makes a figure trustworthy happens here: the backend that actually ran,
// the KV types the cache was built with, the threads, the build options, the model and text hashes.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/plan/cells.h"
#include "harness/plan/inputs.h"
#include "harness/util/process.h"
#include "harness/plan/variants.h"

namespace quant::harness {

struct RunRecord {
  std::string cell;
  int index = 0;          // 0 .. cell.runs()-1; the first cell.warmup are warm-up runs
  bool warmup = false;
  std::string status;     // "ok", "error", "timeout"
  int exit_code = 0;
  std::string error;      // one line: why the run does not count
  std::string stderr_tail;
  double wall_s = 0;
  std::string date;       // UTC start time
  nlohmann::json sample;  // measured values (ok runs)
  nlohmann::json engine;  // quant's build/system/backend/kv/model/config sections (ok runs)
  bool ok() const { return status == "ok"; }
};

nlohmann::json to_json(const RunRecord& r, bool with_engine);
RunRecord run_record_from_json(const nlohmann::json& j);

std::vector<std::string> quant_command(const Cell& cell, const Variant& variant, const std::string& binary,
                                       const Inputs& inputs);

// The record of one process of a cell, before its output is read: cell, index, warm-up, time, exit code.
RunRecord run_record_start(const Cell& cell, int index, const ProcessResult& p, const std::string& date);

RunRecord interpret_run(const Cell& cell, int index, const Variant& variant, const Inputs& inputs,
                        const ProcessResult& p, const std::string& date);

std::string utc_now();

// quant's build/system/backend/kv/config sections and the model's identity, from a quant JSON object.
nlohmann::json engine_sections(const nlohmann::json& q);

}  // namespace quant::harness
