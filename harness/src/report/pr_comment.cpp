#include "harness/report/pr_comment.h"

#include <sstream>

#include "harness/stats/format.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

namespace {

std::string cell_text(const json& c) {
  std::string s = "`";
  s += c.value("cell", "?");
  s += "` ";
  s += c.value("measure", "");
  return s;
}

std::string change_text(const json& c) {
  if (c.contains("timing")) {
    const json& t = c["timing"];
    return fmt_ratio_ci(t.value("ratio", 1.0), {t["ci"][0].get<double>(), t["ci"][1].get<double>()}) + ", p " +
           fmt("%.3g", t.value("p", 1.0));
  }
  return c.value("why", "");
}

void table(std::ostringstream& o, const std::vector<const json*>& rows, int max_rows) {
  o << "| Cell | Check | Baseline | This PR | Change |\n|---|---|---:|---:|---|\n";
  int shown = 0;
  for (const json* c : rows) {
    if (shown++ == max_rows) break;
    o << "| " << md_escape(cell_text(*c)) << " | " << c->value("kind", "") << " | " << md_escape(c->value("baseline", ""))
      << " | " << md_escape(c->value("current", "")) << " | " << md_escape(change_text(*c)) << " |\n";
  }
  if (static_cast<int>(rows.size()) > max_rows)
    o << "\n…and " << rows.size() - max_rows << " more in the full report.\n";
  o << "\n";
}

}  // namespace

std::string render_pr_comment(const json& v, const std::string& source, const std::vector<FailingClaim>& claims,
                              const PrCommentOptions& opt) {
  if (!v.is_object() || v.value("schema", "") != "bench-all.verdict" || !v.contains("checks") || !v["checks"].is_array())
    throw InputError(source + ": not a bench-all verdict (schema bench-all.verdict with checks)");
  std::vector<const json*> regressions, changed;
  for (const auto& c : v["checks"]) {
    if (c.value("needs_baseline_update", false)) changed.push_back(&c);
    else if (c.value("verdict", "") == "regression") regressions.push_back(&c);
  }
  const bool fail = v.value("verdict", "") == "fail" || !claims.empty();
  const json counts = v.value("counts", json::object());
  std::ostringstream o;
  o << kPrCommentMarker << "\n### bench-all: " << (fail ? "❌ FAIL" : "✅ pass");
  if (!opt.head.empty()) o << " at " << short_sha(opt.head).substr(0, 10);
  o << " — " << regressions.size() << " regression(s), " << changed.size() << " changed figure(s), " << claims.size()
    << " failing claim(s)\n\n";
  if (!regressions.empty()) {
    o << "**Regressions** (significant and beyond the calibrated threshold)\n\n";
    table(o, regressions, opt.max_rows);
  }
  if (!changed.empty()) {
    o << "**Deterministic figures that changed** (a reviewed `bench-all baseline update` accepts them)\n\n";
    table(o, changed, opt.max_rows);
  }
  if (!claims.empty()) {
    o << "**Claims that fail**\n\n";
    int shown = 0;
    for (const auto& c : claims) {
      if (shown++ == opt.max_rows) break;
      o << "- `" << c.id << "`: " << c.text << "\n";
      for (const auto& r : c.reasons) o << "  - " << r << "\n";
    }
    if (static_cast<int>(claims.size()) > opt.max_rows) o << "- …and " << claims.size() - opt.max_rows << " more\n";
    o << "\n";
  }
  o << "Checks: " << counts.value("regression", 0) << " regression, " << counts.value("improvement", 0) << " improvement, "
    << counts.value("inconclusive", 0) << " inconclusive, " << counts.value("unchanged", 0) << " unchanged.";
  if (v.contains("notes") && v["notes"].is_array() && !v["notes"].empty())
    o << " Note: " << md_escape(v["notes"][0].get<std::string>()) << (v["notes"].size() > 1 ? " (more in the report)" : "");
  o << "\n\n";
  if (!opt.report_url.empty()) o << "[Full report](" << opt.report_url << ") (artifact `gate`: verdict.md, claims.md, report.html)\n";
  return o.str();
}

}  // namespace quant::harness
