#pragma once
// The history dashboard (`bench-all history html --out DIR`): static pages, one per suite and machine
// class, with each cell's trend over commits (points with intervals, change points as dashed lines,
// points linking to their commit) and the change points in a table, regressions first. Plain HTML with
// inline SVG and the report's small filter script; no server, no external resources.
#include <string>
#include <vector>

#include "harness/history/history_changes.h"
#include "harness/history/history_store.h"

namespace quant::harness {

// Writes DIR/index.html and one page per suite and machine class; returns the files written.
// `commit_url`: prefix a commit's hash is appended to for links (empty: no links).
std::vector<std::string> write_history_pages(const std::vector<HistorySeries>& series,
                                             const std::vector<SeriesChange>& changes, const std::string& dir,
                                             const std::string& commit_url);

}  // namespace quant::harness
