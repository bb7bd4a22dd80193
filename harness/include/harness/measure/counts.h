#pragma once
// Count cells: one `quant --bench` under Valgrind's callgrind, counting instructions and simulated
// last-level-cache misses in the timed regions only (quant marks them with callgrind client requests,
// one dump per measured region, named "pp" or "tg"). Everything that moves a count is pinned and
// recorded in the sample's "counter" provenance: the tool and its version, the simulated caches (fixed
// sizes, not the host's), the kernel set, threads (1), the compiler and its flags.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/quant_run.h"

namespace quant::harness {

// Fixed cache geometry for the simulation (size,associativity,line): the same on every host.
inline constexpr const char* kCountI1 = "32768,8,64";
inline constexpr const char* kCountD1 = "32768,8,64";
inline constexpr const char* kCountLL = "8388608,16,64";

// The Valgrind command line around the cell's quant command; callgrind's dumps go to `out_file`.N.
std::vector<std::string> count_command(const Cell& c, const Variant& v, const std::string& binary, const Inputs& in,
                                       const std::string& out_file);

// Events of one callgrind dump ("trigger" is the client request's name, e.g. "pp").
struct CallgrindDump {
  std::string part;
  std::map<std::string, double> events;  // Ir, ILmr, DLmr, DLmw, ...
};
// Reads callgrind's output files `out_file` and `out_file`.N; InputError naming the file when malformed.
std::vector<CallgrindDump> read_callgrind_dumps(const std::string& out_file);

// "valgrind-3.19.0", or "" when Valgrind is not installed.
std::string valgrind_version();

// Runs one repetition of a count cell (a temporary folder holds callgrind's files).
RunRecord run_count(const Cell& c, int index, const Variant& v, const std::string& binary, const Inputs& in,
                    const std::string& date);

// Turns quant's process result and callgrind's dumps into a run record (separate for the tests).
RunRecord interpret_count_run(const Cell& c, int index, const Variant& v, const Inputs& in, const ProcessResult& p,
                              const std::vector<CallgrindDump>& dumps, const std::string& valgrind, const std::string& date);

// The provenance that must match for two counts to be compared ("" when it does); e.g. "kernels avx2 vs scalar".
std::string count_provenance_mismatch(const nlohmann::json& base_counter, const nlohmann::json& cur_counter);

}  // namespace quant::harness
