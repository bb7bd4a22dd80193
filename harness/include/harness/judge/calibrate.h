#pragma once
// A/A calibration: one build measured as both arms of several paired sweeps. Every comparison the gate
// would make between them (compare: arm A of sweep x vs arm B of sweep y, as baseline and current;
// ratio: the same for within-run ratios to fp32; ab: the paired test within a sweep) is a chance for a
// false alarm. From them: the false-alarm rate at the current thresholds, recommended thresholds
// (the largest A/A deviation seen plus a 25% margin), and the smallest slowdown each cell can detect.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/judge/ab.h"
#include "harness/judge/thresholds.h"

namespace quant::harness {

struct CellSensitivity {
  std::string cell;
  double mde = 0;  // smallest slowdown flagged in >= 95% of simulated trials; > 0.8 means "not within 80%"
};

struct KindCalibration {
  std::string measure, kind;         // kind: "compare", "ratio", "ab", "duet"
  int comparisons = 0;               // real A/A comparisons
  double worst_deviation = 0;        // largest |1 - ratio| among them
  double current = 0, recommended = 0;
  int false_alarms_current = 0, false_alarms_recommended = 0;
  std::vector<CellSensitivity> cells;  // at the recommended threshold
  double mde_median = 0, mde_max = 0;
  double mde_median_current = 0, mde_max_current = 0;  // the same at the threshold in use now
};

struct Calibration {
  std::string date, machine, suite;
  std::string method = "processes";  // of the sweeps: "processes", "duet" or "duet-parallel"
  int sweeps = 0, pairs = 0, cells = 0;
  std::vector<KindCalibration> kinds;
  Thresholds recommended;            // the current thresholds with the timing values replaced
};

struct CalibrateSettings {
  double margin = 1.25;      // recommended = worst A/A deviation x margin, rounded up to 0.5%
  double floor = 0.02;       // never below 2%
  double duet_floor = 0.01;  // duet rounds are milliseconds apart: never below 1%
  double power = 0.95;       // detection rate that defines the minimum detectable slowdown
  int resamples_per_comparison = 10;  // bootstrap re-draws of the runs per real comparison (MDE trials)
  int ci_resamples = 400;    // bootstrap resamples of each CI inside the MDE search
};

Calibration calibrate(const std::vector<PairedRun>& sweeps, const Thresholds& current, const CalibrateSettings& s = {});

std::string render_calibration_markdown(const Calibration& c);
nlohmann::json calibration_json(const Calibration& c);

}  // namespace quant::harness
