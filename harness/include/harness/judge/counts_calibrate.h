#pragma once
// The counts method of `bench-all calibrate`: the suite's count cells measured several times by one
// build. Every ordered pair of those runs is an A/A comparison compare would make; from them, the
// false-alarm rate at the count tolerance and the minimum detectable increase of instructions per token
// (the smallest increase every comparison flags; counts repeat exactly, so it is the tolerance plus
// the largest A/A deviation).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/results.h"
#include "harness/judge/thresholds.h"

namespace quant::harness {

struct CountCalibration {
  int runs = 0, cells = 0, comparisons = 0, false_alarms = 0;
  double worst_deviation = 0;  // largest |1 - ratio| of instructions per token between two runs
  double mde = 0;              // smallest extra fraction of instructions per token flagged in every comparison
  std::string date, machine, suite;  // when it was computed; the machine and suite of the runs
};

CountCalibration calibrate_counts(const std::vector<Results>& runs, const Thresholds& t);
std::string render_count_calibration(const CountCalibration& c);
nlohmann::json count_calibration_json(const CountCalibration& c);

// A suite file holding only `suite_file`'s count cells (for calibrate's count sweeps); "" when it has none.
std::string write_counts_only_suite(const std::string& suite_file, const std::string& out_file);

}  // namespace quant::harness
