#pragma once
// report.html: the sweep's report as one self-contained page beside report.md (same numbers, from the
// same analysis of results.json): tables with the spread flags, SVG plots embedded as data URIs, and
// filters by model, KV type and variant that run in the page (small inline script, no server, no
// external resources). A filter can be preset in the address: report.html#model=M&kv=K&variant=V.
#include <string>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

std::string render_html_report(const Results& r, const Analysis& a);

// The page's stylesheet and filter script, shared with the history dashboard.
std::string html_page_head(const std::string& title);
std::string html_filter_script();

}  // namespace quant::harness
