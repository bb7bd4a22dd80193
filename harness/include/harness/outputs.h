#pragma once
// Everything a sweep leaves in its folder: results.json, report.md, CSVs and the plots.
#include <cstdio>
#include <string>

#include "harness/analysis.h"
#include "harness/results.h"

namespace quant::harness {

// Writes results.json (with the derived analysis), report.md, report.html and the CSVs into `dir`.
void write_outputs(const Results& r, const Analysis& a, const std::string& dir);

// Runs scripts/plot.py (with /usr/bin/python3 + matplotlib) on dir/results.json. Returns false and logs
// the reason when the plots could not be made.
bool write_plots(const std::string& root, const std::string& dir, std::FILE* log);

}  // namespace quant::harness
