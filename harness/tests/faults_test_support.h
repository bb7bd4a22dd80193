#pragma once
// Small helpers shared by the fault tests (issue 22): a quiet sweep, the message of an InputError.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "harness/sweep/runner.h"
#include "quant/error.h"

namespace quant::harness::test {

inline SweepOutcome quiet_sweep(const SweepOptions& o) {
  std::FILE* log = std::tmpfile();
  SweepOutcome out = run_sweep(o, log);
  std::fclose(log);
  return out;
}

// The message of the InputError `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// The options that continue the sweep `o` started (--resume in its folder; the journal holds the rest).
inline SweepOptions resume_options(const SweepOptions& o) {
  SweepOptions again;
  again.out_dir = o.out_dir;
  again.resume = true;
  return again;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

inline std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

}  // namespace quant::harness::test
