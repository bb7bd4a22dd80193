#include "harness/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "harness/stats/format.h"

namespace quant::harness {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string svg_data_uri(const std::string& svg) { return "data:image/svg+xml;base64," + base64(svg); }

namespace {

struct Frame {  // plot area inside a fixed-size picture
  double w, h, left = 64, right = 16, top = 28, bottom = 56;
  double lo = 0, hi = 1;
  double y(double v) const { return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo)); }
  double x(int i, int n) const { return left + (w - left - right) * (i + 0.5) / std::max(n, 1); }
};

// The y range covering every value and interval; bars start at zero.
Frame frame_for(const std::vector<PlotPoint>& pts, double w, double h, bool from_zero) {
  Frame f{w, h};
  double lo = from_zero ? 0 : INFINITY, hi = -INFINITY;
  for (const auto& p : pts) {
    lo = std::min(lo, p.has_interval ? p.lo : p.value);
    hi = std::max(hi, p.has_interval ? p.hi : p.value);
  }
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  const double pad = (hi - lo) * 0.08;
  f.lo = from_zero && lo >= 0 ? 0 : lo - pad;
  f.hi = hi + pad;
  return f;
}

void axes(std::ostringstream& o, const Frame& f, const std::string& title, const std::string& y_label) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f.w << "\" height=\"" << f.h << "\" viewBox=\"0 0 " << f.w
    << " " << f.h << "\" font-family=\"sans-serif\" font-size=\"11\">";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>";
  o << "<text x=\"" << f.w / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" << html_escape(title) << "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double v = f.lo + (f.hi - f.lo) * i / 4, y = f.y(v);
    o << "<line x1=\"" << f.left << "\" x2=\"" << f.w - f.right << "\" y1=\"" << y << "\" y2=\"" << y
      << "\" stroke=\"#ddd\"/><text x=\"" << f.left - 4 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">"
      << fmt("%.4g", v) << "</text>";
  }
  o << "<text transform=\"translate(12," << (f.top + f.h - f.bottom) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(y_label) << "</text>";
}

void whisker(std::ostringstream& o, double x, const Frame& f, const PlotPoint& p) {
  if (!p.has_interval) return;
  o << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << f.y(p.lo) << "\" y2=\"" << f.y(p.hi)
    << "\" stroke=\"#222\"/><line x1=\"" << x - 3 << "\" x2=\"" << x + 3 << "\" y1=\"" << f.y(p.lo) << "\" y2=\""
    << f.y(p.lo) << "\" stroke=\"#222\"/><line x1=\"" << x - 3 << "\" x2=\"" << x + 3 << "\" y1=\"" << f.y(p.hi)
    << "\" y2=\"" << f.y(p.hi) << "\" stroke=\"#222\"/>";
}

void x_label(std::ostringstream& o, double x, const Frame& f, const std::string& label) {
  o << "<text transform=\"translate(" << x << "," << f.h - f.bottom + 10 << ") rotate(40)\" font-size=\"10\">"
    << html_escape(label) << "</text>";
}

}  // namespace

std::string svg_bar_chart(const std::string& title, const std::string& y_label, const std::vector<PlotPoint>& bars) {
  const int n = static_cast<int>(bars.size());
  const Frame f = frame_for(bars, std::max(320, 90 + 48 * n), 300, true);
  std::ostringstream o;
  axes(o, f, title, y_label);
  const double bw = (f.w - f.left - f.right) / std::max(n, 1) * 0.6;
  for (int i = 0; i < n; ++i) {
    const auto& b = bars[i];
    const double x = f.x(i, n), y0 = f.y(std::max(f.lo, 0.0)), y1 = f.y(b.value);
    o << "<rect x=\"" << x - bw / 2 << "\" y=\"" << std::min(y0, y1) << "\" width=\"" << bw << "\" height=\""
      << std::fabs(y0 - y1) << "\" fill=\"#4c78a8\"><title>" << html_escape(b.title) << "</title></rect>";
    whisker(o, x, f, b);
    x_label(o, x - 4, f, b.label);
  }
  o << "</svg>";
  return o.str();
}

std::string svg_trend(const std::string& title, const std::string& y_label, const std::vector<PlotPoint>& pts,
                      const std::vector<int>& steps) {
  const int n = static_cast<int>(pts.size());
  const Frame f = frame_for(pts, std::max(480, 90 + 16 * n), 300, false);
  std::ostringstream o;
  axes(o, f, title, y_label);
  for (int s : steps) {
    const double x = (f.x(s - 1, n) + f.x(s, n)) / 2;
    o << "<line class=\"change\" x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << f.top << "\" y2=\"" << f.h - f.bottom
      << "\" stroke=\"#d62728\" stroke-dasharray=\"4 3\" stroke-width=\"1.5\"/>";
  }
  std::string path;
  for (int i = 0; i < n; ++i) path += (i ? " L" : "M") + fmt("%.1f", f.x(i, n)) + " " + fmt("%.1f", f.y(pts[i].value));
  if (n > 1) o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"#9ecae9\"/>";
  for (int i = 0; i < n; ++i) {
    const auto& p = pts[i];
    const double x = f.x(i, n);
    whisker(o, x, f, p);
    const std::string dot = "<circle class=\"point\" cx=\"" + fmt("%.1f", x) + "\" cy=\"" + fmt("%.1f", f.y(p.value)) +
                            "\" r=\"3.5\" fill=\"#4c78a8\"><title>" + html_escape(p.title) + "</title></circle>";
    if (p.link.empty()) o << dot;
    else o << "<a href=\"" << html_escape(p.link) << "\">" << dot << "</a>";
    if (i % (n / 16 + 1) == 0) x_label(o, x - 3, f, p.label);  // labels need about 30 px each
  }
  o << "</svg>";
  return o.str();
}

}  // namespace quant::harness
