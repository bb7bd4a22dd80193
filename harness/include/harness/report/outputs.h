#pragma once
// Everything a sweep leaves in its folder: results.json, report.md, CSVs and the plots.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

// The text files generated from results (name in the sweep folder, content): report.md, report.html and the CSVs.
std::vector<std::pair<std::string, std::string>> generated_texts(const Results& r, const Analysis& a);

// Writes results.json (with the derived analysis), report.md, report.html and the CSVs into `dir`.
void write_outputs(const Results& r, const Analysis& a, const std::string& dir);

// Runs scripts/plot.py (with /usr/bin/python3 + matplotlib) on dir/results.json. Returns false and logs
// the reason when the plots could not be made.
bool write_plots(const std::string& root, const std::string& dir, std::FILE* log);

// `report --check`: every generated file in `dir` against a regeneration from `r` (report.md, the CSVs and,
// with `plots`, plots.json: the data each PNG is drawn from, recomputed by scripts/plot.py --data; and each
// PNG present exactly when it has data). One line per difference; empty when everything matches.
std::vector<std::string> check_outputs(const std::string& root, const Results& r, const Analysis& a,
                                       const std::string& dir, bool plots);

}  // namespace quant::harness
