#pragma once
// The Markdown report of a sweep. A pure function of the results (statistics recomputed from the raw
// samples), so regenerating it from results.json gives the same bytes and every number is traceable.
#include <string>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

std::string render_report(const Results& r, const Analysis& a);

// Pieces shared with the release notes.
std::string render_model_sections(const Results& r, const Analysis& a, const std::string& heading);
std::string render_problem_cells(const Results& r, const std::string& heading);
std::string render_provenance(const Results& r, const Analysis& a);
std::string status_counts(const Results& r);

// The PNG files scripts/plot.py writes for these results (report.md links them).
std::vector<std::string> plot_files(const Results& r);

}  // namespace quant::harness
