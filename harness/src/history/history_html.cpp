#include "harness/history/history_html.h"

#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "harness/stats/format.h"
#include "harness/report/html_report.h"
#include "harness/util/json_check.h"
#include "harness/report/svg_plot.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

// Cell ids are "<variant>/<model>/<k>,<v>/...": the filters' model and KV type come from them.
std::string attrs(const HistorySeries& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s.cell);
  for (std::string p; std::getline(ss, p, '/');) parts.push_back(p);
  std::string kv = parts.size() > 2 ? parts[2] : "";
  if (const size_t c = kv.find(','); c != std::string::npos) kv = kv.substr(0, c) + " / " + kv.substr(c + 1);
  return " data-model=\"" + html_escape(parts.size() > 1 ? parts[1] : "") + "\" data-kv=\"" + html_escape(kv) +
         "\" data-variant=\"" + html_escape(s.variant) + "\"";
}

std::string commit_cell(const std::string& commit, const std::string& url) {
  const std::string text = "<code>" + html_escape(short_sha(commit).substr(0, 10)) + "</code>";
  return url.empty() ? text : "<a href=\"" + html_escape(url + commit) + "\">" + text + "</a>";
}

std::string page_name(const HistorySeries& s) {
  std::string n = "suite-" + s.suite + "-" + s.machine;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  return n + ".html";
}

void filters(std::ostringstream& o, const std::vector<const HistorySeries*>& list) {
  std::map<std::string, std::set<std::string>> values;
  for (const auto* s : list) {
    const std::string a = attrs(*s);
    for (const char* k : {"model", "kv", "variant"}) {
      const std::string key = std::string("data-") + k + "=\"";
      const size_t at = a.find(key) + key.size();
      values[k].insert(a.substr(at, a.find('"', at) - at));
    }
  }
  o << "<form class=\"filters\">";
  for (const auto& [k, label] : std::vector<std::pair<std::string, std::string>>{{"model", "Model"}, {"kv", "KV type"}, {"variant", "Variant"}}) {
    o << "<label>" << label << " <select data-filter=\"" << k << "\"><option value=\"\">all</option>";
    for (const auto& v : values[k]) o << "<option>" << v << "</option>";  // already escaped
    o << "</select></label> ";
  }
  o << "<span id=\"shown\"></span></form>\n";
}

void changes_table(std::ostringstream& o, const std::vector<const SeriesChange*>& list, const std::string& url) {
  o << "<h2>Change points</h2>\n";
  if (list.empty()) {
    o << "<p id=\"no-changes\">No change points: every series is consistent with one level.</p>\n";
    return;
  }
  o << "<table id=\"changes\" class=\"filtered\"><thead><tr><th>committed</th><th>commits</th><th>kind</th><th>cell</th>"
       "<th>measure</th><th>before → after</th><th>step [95% CI]</th><th>p</th></tr></thead><tbody>\n";
  for (int pass = 0; pass < 2; ++pass)  // regressions first, each part newest first
    for (const auto* c : list) {
      if (c->regression != (pass == 0)) continue;
      o << "<tr" << attrs(*c->series) << (c->regression ? " class=\"regression\"" : "") << "><td>"
        << utc_time_text(c->time) << "</td><td>" << commit_cell(c->from_commit, url) << " .. "
        << commit_cell(c->to_commit, url) << "</td><td>" << (c->regression ? "regression" : "improvement") << "</td><td>"
        << html_escape(c->series->cell) << "</td><td>" << c->series->measure << "</td><td class=\"num\">"
        << fmt("%.4g", c->step.before) << " → " << fmt("%.4g", c->step.after) << "</td><td class=\"num\">"
        << html_escape(step_text(c->step)) << "</td><td class=\"num\">" << fmt("%.3f", c->step.p) << "</td></tr>\n";
    }
  o << "</tbody></table>\n";
}

void trend(std::ostringstream& o, const HistorySeries& s, const std::vector<const SeriesChange*>& mine, const std::string& url) {
  std::vector<PlotPoint> pts;
  for (const auto& p : s.points) {
    PlotPoint q{short_sha(p.commit).substr(0, 7), p.value, p.has_interval, p.lo, p.hi, "", url.empty() ? "" : url + p.commit};
    q.title = short_sha(p.commit) + " " + utc_time_text(p.commit_time) + ": " + fmt("%.6g", p.value) +
              (p.has_interval ? " [" + fmt("%.6g", p.lo) + ", " + fmt("%.6g", p.hi) + "]" : "") + ", n " + std::to_string(p.n);
    pts.push_back(q);
  }
  std::vector<int> steps;
  for (const auto* c : mine) steps.push_back(c->step.index);
  o << "<figure class=\"trend\"" << attrs(s) << " data-cell=\"" << html_escape(s.cell) << "\" data-measure=\"" << s.measure
    << "\">" << svg_trend(s.cell + " " + s.measure, s.measure, pts, steps) << "<figcaption>" << s.points.size()
    << " commits, " << mine.size() << " change point(s)</figcaption></figure>\n";
}

std::string suite_page(const std::vector<const HistorySeries*>& list, const std::vector<SeriesChange>& changes,
                       const std::string& url) {
  const HistorySeries& first = *list.front();
  std::ostringstream o;
  o << html_page_head("bench-all history: " + first.suite) << "<body>\n<p><a href=\"index.html\">All suites</a></p>\n";
  o << "<h1>Suite <code>" << html_escape(first.suite) << "</code> on " << html_escape(first.machine) << "</h1>\n";
  o << "<p>Each point is one commit's median with its 95% interval; dashed red lines are change points "
       "(E-divisive means with a permutation test, see docs/bench-all-history.md).</p>\n";
  filters(o, list);
  std::vector<const SeriesChange*> mine;
  for (const auto& c : changes)
    for (const auto* s : list)
      if (c.series == s) mine.push_back(&c);
  changes_table(o, mine, url);
  o << "<h2>Trends</h2>\n";
  for (int pass = 0; pass < 2; ++pass)  // the series that stepped first
    for (const auto* s : list) {
      std::vector<const SeriesChange*> of;
      for (const auto* c : mine)
        if (c->series == s) of.push_back(c);
      if (of.empty() == (pass == 0)) continue;
      trend(o, *s, of, url);
    }
  o << html_filter_script() << "</body></html>\n";
  return o.str();
}

}  // namespace

std::vector<std::string> write_history_pages(const std::vector<HistorySeries>& series,
                                             const std::vector<SeriesChange>& changes, const std::string& dir,
                                             const std::string& commit_url) {
  std::map<std::string, std::vector<const HistorySeries*>> pages;
  for (const auto& s : series) pages[page_name(s)].push_back(&s);
  fs::create_directories(dir);
  std::vector<std::string> files;
  std::ostringstream index;
  index << html_page_head("bench-all history") << "<body>\n<h1>bench-all history</h1>\n";
  if (pages.empty()) index << "<p>The history store is empty.</p>\n";
  index << "<ul id=\"suites\">\n";
  for (const auto& [name, list] : pages) {
    size_t regressions = 0;
    for (const auto& c : changes)
      for (const auto* s : list) regressions += c.series == s && c.regression;
    index << "<li><a href=\"" << html_escape(name) << "\">" << html_escape(list.front()->suite) << " on "
          << html_escape(list.front()->machine) << "</a>: " << list.size() << " series, " << regressions
          << " regression(s)</li>\n";
    const std::string f = (fs::path(dir) / name).string();
    write_text_file(f, suite_page(list, changes, commit_url));
    files.push_back(f);
  }
  index << "</ul>\n</body></html>\n";
  const std::string f = (fs::path(dir) / "index.html").string();
  write_text_file(f, index.str());
  files.insert(files.begin(), f);
  return files;
}

}  // namespace quant::harness
