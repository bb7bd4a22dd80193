#include "harness/report/html_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "harness/stats/format.h"
#include "harness/report/report.h"
#include "harness/report/svg_plot.h"

namespace quant::harness {

namespace {

std::string kv_text(const KvPair& kv) { return kv.k + " / " + kv.v; }

std::string attrs(const Cell& c) {
  return " data-model=\"" + html_escape(c.model) + "\" data-kv=\"" + html_escape(kv_text(c.kv)) + "\" data-variant=\"" +
         html_escape(c.variant) + "\"";
}

std::string params(const Cell& c) {
  if (c.metric == Metric::ppl) return "ppl " + c.text + " c" + std::to_string(c.ctx);
  return "speed p" + std::to_string(c.n_prompt) + " n" + std::to_string(c.n_gen) + " d" + std::to_string(c.depth);
}

std::string interval(const MeasureStats& m) {
  if (m.has_ci) {
    std::string s = "[";
    s += fmt("%.6g", m.ci.lo);
    return s + ", " + fmt("%.6g", m.ci.hi) + "]";
  }
  if (m.uncertainty > 0) {
    std::string s = "± ";
    s += fmt("%.6g", m.uncertainty);
    return s + " (s.e.)";
  }
  return "—";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

void select(std::ostringstream& o, const std::string& key, const std::string& label, const std::set<std::string>& values) {
  o << "<label>" << label << " <select data-filter=\"" << key << "\"><option value=\"\">all</option>";
  for (const auto& v : values) o << "<option>" << html_escape(v) << "</option>";
  o << "</select></label> ";
}

void filters(std::ostringstream& o, const Results& r) {
  std::set<std::string> models, kvs, variants;
  for (const auto& c : r.cells) models.insert(c.cell.model), kvs.insert(kv_text(c.cell.kv)), variants.insert(c.cell.variant);
  o << "<form class=\"filters\" id=\"filters\">";
  select(o, "model", "Model", models);
  select(o, "kv", "KV type", kvs);
  select(o, "variant", "Variant", variants);
  o << "<span id=\"shown\"></span></form>\n";
}

void measures_table(std::ostringstream& o, const Results& r, const Analysis& a) {
  o << "<h2>Cells</h2>\n<p>Median over every timed repetition with its 95% bootstrap interval (quality: the engine's "
       "figure ± its standard error); vs fp32: ratio of medians to the fp32/fp32 cell of the same model, variant and "
       "parameters [95% CI]. ⚠ = spread too wide to support a comparison.</p>\n";
  o << "<table id=\"cells\" class=\"filtered\"><thead><tr><th>Model</th><th>Variant</th><th>KV (K / V)</th><th>Cell</th>"
       "<th>Measure</th><th>n</th><th>median</th><th>95% interval</th><th>CV</th><th>vs fp32 [95% CI]</th><th>flags</th>"
       "</tr></thead><tbody>\n";
  for (const auto& m : a.measures) {
    const CellResult* c = r.cell(m.cell);
    if (!c) continue;
    const Comparison* cmp = a.compare("kv_vs_fp32", m.cell, m.measure);
    const std::string vs = c->cell.kv == KvPair{"fp32", "fp32"} ? "1.000x (reference)"
                           : cmp ? fmt_ratio_ci(cmp->ratio, cmp->ci) + (cmp->flags.empty() ? "" : " ⚠") : "—";
    o << "<tr" << attrs(c->cell) << (m.flags.empty() ? "" : " class=\"flagged\"") << "><td>" << html_escape(c->cell.model)
      << "</td><td>" << html_escape(c->cell.variant) << "</td><td>" << html_escape(kv_text(c->cell.kv)) << "</td><td>"
      << html_escape(params(c->cell)) << "</td><td>" << m.measure << "</td><td class=\"num\">" << m.summary.n
      << "</td><td class=\"num\">" << fmt("%.6g", m.summary.median) << (m.flags.empty() ? "" : " ⚠")
      << "</td><td class=\"num\">" << html_escape(interval(m)) << "</td><td class=\"num\">" << fmt_percent(m.summary.cv, 1)
      << "</td><td class=\"num\">" << html_escape(vs) << "</td><td>" << html_escape(join(m.flags)) << "</td></tr>\n";
  }
  o << "</tbody></table>\n";
}

void variants_table(std::ostringstream& o, const Results& r, const Analysis& a) {
  bool any = false;
  for (const auto& c : a.comparisons) any |= c.kind == "variant_vs_default";
  if (!any) return;
  o << "<h2>Builds against the default variant</h2>\n<table id=\"variants\" class=\"filtered\"><thead><tr><th>Cell</th>"
       "<th>Reference</th><th>Measure</th><th>ratio [95% CI]</th><th>verdict</th><th>flags</th></tr></thead><tbody>\n";
  for (const auto& c : a.comparisons) {
    const CellResult* cell = r.cell(c.cell);
    if (c.kind != "variant_vs_default" || !cell) continue;
    o << "<tr" << attrs(cell->cell) << "><td>" << html_escape(c.cell) << "</td><td>" << html_escape(c.reference)
      << "</td><td>" << c.measure << "</td><td class=\"num\">" << fmt_ratio_ci(c.ratio, c.ci) << "</td><td>" << c.verdict
      << "</td><td>" << html_escape(join(c.flags)) << "</td></tr>\n";
  }
  o << "</tbody></table>\n";
}

void problems_table(std::ostringstream& o, const Results& r) {
  bool any = false;
  for (const auto& c : r.cells) any |= !c.ok();
  if (!any) return;
  o << "<h2>Cells without numbers</h2>\n<table id=\"problems\" class=\"filtered\"><thead><tr><th>Cell</th><th>Status</th>"
       "<th>Reason</th></tr></thead><tbody>\n";
  for (const auto& c : r.cells)
    if (!c.ok())
      o << "<tr" << attrs(c.cell) << "><td>" << html_escape(c.cell.id) << "</td><td>" << c.status << "</td><td>"
        << html_escape(c.reason) << "</td></tr>\n";
  o << "</tbody></table>\n";
}

// One chart per model, variant and measure: each KV type's median with its interval.
void plots(std::ostringstream& o, const Results& r, const Analysis& a) {
  struct Key {
    std::string model, variant, measure, params;
    bool operator<(const Key& k) const {
      return std::tie(model, variant, measure, params) < std::tie(k.model, k.variant, k.measure, k.params);
    }
  };
  std::vector<Key> order;
  std::map<Key, std::vector<PlotPoint>> charts;
  for (const auto& m : a.measures) {
    const CellResult* c = r.cell(m.cell);
    if (!c || (m.measure != "tg_tok_s" && m.measure != "pp_tok_s" && m.measure != "ppl" && m.measure != "kld")) continue;
    const Key k{c->cell.model, c->cell.variant, m.measure, params(c->cell)};
    if (!charts.count(k)) order.push_back(k);
    PlotPoint p{kv_text(c->cell.kv), m.summary.median, m.has_ci || m.uncertainty > 0, 0, 0, "", ""};
    p.lo = m.has_ci ? m.ci.lo : m.summary.median - m.uncertainty;
    p.hi = m.has_ci ? m.ci.hi : m.summary.median + m.uncertainty;
    p.title = m.cell + " " + m.measure + ": " + fmt("%.6g", m.summary.median) + " " + interval(m);
    charts[k].push_back(p);
  }
  if (order.empty()) return;
  o << "<h2>Plots</h2>\n<div class=\"plots\">\n";
  for (const auto& k : order) {
    const std::string title = k.model + ", " + k.variant + ": " + k.measure + " (" + k.params + ")";
    o << "<figure class=\"plot\" data-model=\"" << html_escape(k.model) << "\" data-variant=\"" << html_escape(k.variant)
      << "\"><img alt=\"" << html_escape(title) << "\" src=\"" << svg_data_uri(svg_bar_chart(title, k.measure, charts[k]))
      << "\"></figure>\n";
  }
  o << "</div>\n";
}

}  // namespace

std::string html_page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" "
         "content=\"width=device-width\">\n<title>" +
         html_escape(title) +
         "</title>\n<style>\nbody{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
         "margin:.5em 0 1.5em;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px}th{background:#f3f3f3}"
         "td.num{text-align:right;font-variant-numeric:tabular-nums}tr.flagged td{background:#fff6e0}"
         "tr.regression td{background:#fde0e0}.filters{position:sticky;top:0;background:#fff;padding:6px 0;"
         "border-bottom:1px solid #ddd}.filters label{margin-right:1em}.plots{display:flex;flex-wrap:wrap;gap:8px}"
         "figure{margin:0}.prov{white-space:pre-wrap;font-size:12px;color:#444}[hidden]{display:none!important}\n"
         "</style></head>\n";
}

std::string html_filter_script() {
  // Rows and figures carry data-model / data-kv / data-variant; a select with an empty value matches
  // everything. The address's #model=..&kv=..&variant=.. presets the selects (links and tests use it).
  return R"JS(<script>
"use strict";
window.addEventListener("error", function (e) {
  document.body.dataset.jsErrors = (document.body.dataset.jsErrors || "") + e.message + ";";
});
(function () {
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-model], [data-kv], [data-variant]"))
    .filter(function (el) { return el.tagName !== "OPTION"; });
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.dataset.filter] = s.value; });
    var rows = 0, shown = 0;
    items.forEach(function (el) {
      var ok = Object.keys(want).every(function (k) {
        return !want[k] || el.dataset[k] === undefined || el.dataset[k] === want[k];
      });
      el.hidden = !ok;
      if (el.tagName === "TR") { rows++; if (ok) shown++; }
    });
    var out = document.getElementById("shown");
    if (out) out.textContent = shown + " of " + rows + " rows shown";
    document.body.dataset.rowsShown = String(shown);
  }
  var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  hash.split("&").forEach(function (kv) {
    var i = kv.indexOf("=");
    if (i < 0) return;
    selects.forEach(function (s) { if (s.dataset.filter === kv.slice(0, i)) s.value = kv.slice(i + 1); });
  });
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  apply();
  document.body.dataset.filtersReady = "1";
})();
</script>
)JS";
}

std::string render_html_report(const Results& r, const Analysis& a) {
  std::ostringstream o;
  o << html_page_head("bench-all report: " + r.suite_name + " " + r.run_id) << "<body>\n";
  o << "<h1>bench-all report: suite <code>" << html_escape(r.suite_name) << "</code></h1>\n";
  o << "<p>Run <code>" << html_escape(r.run_id) << "</code>, " << html_escape(r.started) << ", " << fmt("%.0f", r.wall_s)
    << " s. " << html_escape(status_counts(r)) << ". Generated by bench-all from results.json, the same numbers as "
    << "report.md; every number is recomputed from the raw samples in that file.</p>\n";
  if (r.inputs.any_synthetic())
    o << "<p><strong>Synthetic weights</strong>: figures for a generated model are labelled as such in report.md; "
         "their perplexities mean nothing.</p>\n";
  filters(o, r);
  measures_table(o, r, a);
  variants_table(o, r, a);
  problems_table(o, r);
  plots(o, r, a);
  o << "<h2>Provenance</h2>\n<div class=\"prov\">" << html_escape(render_provenance(r, a)) << "</div>\n";
  o << html_filter_script() << "</body></html>\n";
  return o.str();
}

}  // namespace quant::harness
