#include "harness/stats/format.h"

#include <cmath>
#include <cstdio>

namespace quant::harness {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string fmt_rate(double v) {
  if (std::fabs(v) >= 100) return fmt("%.0f", v);
  if (std::fabs(v) >= 10) return fmt("%.1f", v);
  return fmt("%.2f", v);
}

std::string fmt_rate_ci(double median, const Interval& ci) {
  return fmt_rate(median) + " [" + fmt_rate(ci.lo) + ", " + fmt_rate(ci.hi) + "]";
}

std::string fmt_ratio(double r) { return fmt("%.3f", r) + "x"; }

std::string fmt_ratio_ci(double r, const Interval& ci) {
  return fmt_ratio(r) + " [" + fmt("%.3f", ci.lo) + ", " + fmt("%.3f", ci.hi) + "]";
}

std::string fmt_small(double v) {
  if (v == 0) return "0";
  return fmt("%.3g", v);
}

std::string fmt_ppl(double v) { return std::fabs(v) >= 1e6 ? fmt("%.4g", v) : fmt("%.4f", v); }

std::string fmt_percent(double fraction, int decimals) {
  const std::string f = "%." + std::to_string(decimals) + "f%%";
  return fmt(f.c_str(), fraction * 100);
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace quant::harness
