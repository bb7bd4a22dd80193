#pragma once
// Small SVG charts for the HTML pages (no plotting library, no external resources): bars with interval
// whiskers for a sweep's figures and points with intervals over commits, change points marked.
#include <string>
#include <vector>

namespace quant::harness {

struct PlotPoint {
  std::string label;       // x axis label (a KV type, a short commit)
  double value = 0;
  bool has_interval = false;
  double lo = 0, hi = 0;
  std::string title;       // tooltip
  std::string link;        // trend points: where a click goes (empty: none)
};

std::string svg_bar_chart(const std::string& title, const std::string& y_label, const std::vector<PlotPoint>& bars);
// `steps`: indices of the first point after each change point (a dashed line is drawn before it).
std::string svg_trend(const std::string& title, const std::string& y_label, const std::vector<PlotPoint>& points,
                      const std::vector<int>& steps);

std::string html_escape(const std::string& s);
std::string base64(const std::string& bytes);
std::string svg_data_uri(const std::string& svg);  // "data:image/svg+xml;base64,..."

}  // namespace quant::harness
