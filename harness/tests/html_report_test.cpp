// report.html: self-contained (no external resource), the same numbers as report.md, plots embedded as
// data URIs, rows filterable by model / KV type / variant; and in headless Chromium the page's script
// runs without errors and applies a filter given in the address (asserted on the DOM).
#include "harness/report/html_report.h"

#include <gtest/gtest.h>

#include <regex>

#include "harness/stats/format.h"
#include "harness/report/outputs.h"
#include "harness/report/report.h"
#include "harness_test_support.h"
#include "history_test_support.h"

namespace quant::harness {
namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// Nothing the page loads from elsewhere: no src/href to another origin, no stylesheet links, no imports.
void expect_self_contained(const std::string& html) {
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)"))) << "external resource";
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
}

class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override {
    r_ = load_results(test::fixture("results-release-small.json"));
    a_ = analyze(r_);
    html_ = render_html_report(r_, a_);
  }
  Results r_;
  Analysis a_;
  std::string html_;
};

TEST_F(HtmlReport, SelfContainedWithEveryMeasureOfReportMd) {
  expect_self_contained(html_);
  const std::string md = render_report(r_, a_);
  int rows = 0;
  for (const auto& m : a_.measures) {
    const std::string median = fmt("%.6g", m.summary.median);
    EXPECT_NE(md.find(median), std::string::npos) << m.cell << " " << m.measure;
    EXPECT_NE(html_.find(">" + median), std::string::npos) << m.cell << " " << m.measure;
    ++rows;
  }
  EXPECT_GT(rows, 4);
  EXPECT_EQ(count(html_, "<tr data-model="), rows + 8);  // every measure plus the 8 cells without numbers
  // The fp16 cell's ratio to fp32 (the report's "vs FP32" column) is in both, formatted the same way.
  const Comparison* c = a_.compare("kv_vs_fp32", "cpu/stories260K/fp16,fp16/speed/p128n64/d0", "tg_tok_s");
  ASSERT_NE(c, nullptr);
  EXPECT_NE(html_.find(fmt_ratio_ci(c->ratio, c->ci)), std::string::npos);
  EXPECT_NE(md.find(fmt_ratio_ci(c->ratio, c->ci)), std::string::npos);
}

TEST_F(HtmlReport, PlotsAreEmbeddedSvgDataUris) {
  EXPECT_GE(count(html_, "src=\"data:image/svg+xml;base64,"), 3);  // tg, pp, ppl, kld of the cpu variant
  EXPECT_EQ(count(html_, "<img"), count(html_, "src=\"data:image/svg+xml;base64,"));
  EXPECT_NE(html_.find("<select data-filter=\"kv\">"), std::string::npos);
  EXPECT_NE(html_.find("<option>fp16 / fp16</option>"), std::string::npos);
  EXPECT_NE(html_.find("q8_0"), std::string::npos);  // failed cells are listed with their reason
}

TEST_F(HtmlReport, WrittenBesideReportMd) {
  const std::string dir = test::temp_dir("html-outputs");
  write_outputs(r_, a_, dir);
  EXPECT_EQ(test::read_file(dir + "/report.html"), html_);
}

TEST_F(HtmlReport, FiltersRunInHeadlessChromium) {
  const std::string dir = test::temp_dir("html-browser");
  write_outputs(r_, a_, dir);
  const test::BrowserPage all = test::headless_dom("file://" + dir + "/report.html");
  if (!all.ok()) GTEST_SKIP() << all.why;
  EXPECT_NE(all.dom.find("data-filters-ready=\"1\""), std::string::npos) << "the page's script did not finish";
  EXPECT_EQ(all.dom.find("data-js-errors"), std::string::npos) << all.dom.substr(0, 400);
  EXPECT_EQ(all.log.find("Uncaught"), std::string::npos) << all.log;
  const int rows = count(html_, "<tr data-model=");
  EXPECT_NE(all.dom.find("data-rows-shown=\"" + std::to_string(rows) + "\""), std::string::npos);
  EXPECT_EQ(count(all.dom, " hidden=\"\""), 0);

  // #kv=fp16 / fp16: only that KV type's rows (and plots, which hold every KV type, stay) are shown.
  const test::BrowserPage f = test::headless_dom("file://" + dir + "/report.html#kv=fp16%20%2F%20fp16&variant=cpu");
  ASSERT_TRUE(f.ok()) << f.why;
  int fp16_rows = 0;
  for (const auto& m : a_.measures) fp16_rows += m.cell.find("cpu/stories260K/fp16,fp16/") == 0;
  EXPECT_NE(f.dom.find("data-rows-shown=\"" + std::to_string(fp16_rows) + "\""), std::string::npos);
  EXPECT_NE(f.dom.find(std::to_string(fp16_rows) + " of " + std::to_string(rows) + " rows shown"), std::string::npos);
  EXPECT_GT(count(f.dom, " hidden=\"\""), 0);
  EXPECT_EQ(f.dom.find("data-js-errors"), std::string::npos);

  const std::string png = dir + "/report.png";
  const test::BrowserPage shot = test::headless_dom("file://" + dir + "/report.html", png);
  ASSERT_TRUE(shot.ok()) << shot.why;
  EXPECT_EQ(test::read_file(png).substr(1, 3), "PNG");  // a picture was taken (its pixels are not judged)
}

}  // namespace
}  // namespace quant::harness
