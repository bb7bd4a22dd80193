#pragma once
// Number formatting shared by every report, so the same value always prints the same way.
#include <string>

#include "harness/stats/stats.h"

namespace quant::harness {

std::string fmt(const char* format, double v);
std::string fmt_rate(double tok_s);                    // 3 significant digits at least, no exponent
std::string fmt_rate_ci(double median, const Interval& ci);
std::string fmt_ratio(double r);                       // "0.93x"
std::string fmt_ratio_ci(double r, const Interval& ci);  // "0.93x [0.90, 0.96]"
std::string fmt_small(double v);
std::string fmt_ppl(double v);                         // 4 decimals, or 4 significant digits when huge                       // KLD and the like: "1.90e-06"
std::string fmt_percent(double fraction, int decimals = 2);
std::string short_sha(const std::string& sha);         // first 12 hex digits
std::string md_escape(const std::string& s);           // safe inside a Markdown table cell

}  // namespace quant::harness
