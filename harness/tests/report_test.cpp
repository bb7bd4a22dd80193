// Reports from a fixture results file: the tables hold the numbers the samples give (computed here
// independently), failed and unsupported cells are shown with their reasons, and a report regenerated
// from results.json is byte-identical (so every number is traceable to samples).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/report/csv.h"
#include "harness/stats/format.h"
#include "harness/report/outputs.h"
#include "harness/util/process.h"
#include "harness/report/report.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness_test_support.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

using nlohmann::json;

// Median of a cell's measured samples, straight from the JSON (not through the analysis code).
double json_median(const json& doc, const std::string& cell, const std::string& measure) {
  std::vector<double> v;
  for (const auto& c : doc["cells"])
    if (c["id"] == cell)
      for (const auto& r : c["runs"])
        if (r["status"] == "ok" && !r["warmup"].get<bool>())
          for (const auto& x : r["sample"][measure]) v.push_back(x.get<double>());
  std::sort(v.begin(), v.end());
  if (v.empty()) return -1;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string row_of(const std::string& report, const std::string& first_column, int nth = 0) {
  std::istringstream in(report);
  int seen = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("| " + first_column + " |", 0) == 0 && seen++ == nth) return line;
  return "";
}

std::vector<std::string> columns(const std::string& row) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '|' && row[i - 1] != '\\') {
      while (!cur.empty() && cur.back() == ' ') cur.pop_back();
      out.push_back(cur.substr(cur.find_first_not_of(' ') == std::string::npos ? 0 : cur.find_first_not_of(' ')));
      cur.clear();
    } else {
      cur += row[i];
    }
  }
  return out;
}

class FixtureReport : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test::fixture("results-release-small.json");
    doc_ = json::parse(test::read_file(path_));
    results_ = load_results(path_);
    analysis_ = analyze(results_);
    report_ = render_report(results_, analysis_);
  }
  std::string path_, report_;
  json doc_;
  Results results_;
  Analysis analysis_;
};

TEST_F(FixtureReport, ReleaseTableHoldsTheSamplesNumbers) {
  const std::string fp32 = row_of(report_, "fp32 / fp32"), fp16 = row_of(report_, "fp16 / fp16");
  ASSERT_FALSE(fp32.empty()) << report_;
  const auto a = columns(fp32), b = columns(fp16);
  ASSERT_EQ(a.size(), 11u) << fp32;
  // Type | Bytes/block | K+V bytes/token | vs fp16 (K / K+V) | vs fp32 (K / K+V) | tok/s | vs FP32 | PPL | delta | KLD | top-1
  EXPECT_EQ(a[1], "32");     // 8 floats per head vector
  EXPECT_EQ(a[2], "1280");   // 5 layers x 4 heads x 8 x 4 bytes x (K + V)
  EXPECT_EQ(a[3], "0.50x / 0.50x");
  EXPECT_EQ(a[4], "1.00x / 1.00x");
  EXPECT_EQ(b[1], "16");
  EXPECT_EQ(b[3], "1.00x / 1.00x");
  EXPECT_EQ(b[4], "2.00x / 2.00x");
  const double tg32 = json_median(doc_, "cpu/stories260K/fp32,fp32/speed/p128n64/d0", "tg_tok_s");
  const double tg16 = json_median(doc_, "cpu/stories260K/fp16,fp16/speed/p128n64/d0", "tg_tok_s");
  EXPECT_EQ(tg32, 14500);  // warm-up run (14000, 13900, 14100) left out
  EXPECT_EQ(a[5].rfind(fmt_rate(tg32) + " [", 0), 0u) << a[5];
  EXPECT_EQ(b[5].rfind(fmt_rate(tg16) + " [", 0), 0u) << b[5];
  EXPECT_EQ(b[6].rfind(fmt_ratio(tg16 / tg32) + " [", 0), 0u) << b[6];
  EXPECT_EQ(a[6], "1.000x (reference)");
  EXPECT_EQ(a[7], "6.6495 ± 0.1422");
  EXPECT_EQ(b[7], "6.6499 ± 0.1422");
  EXPECT_EQ(b[8], "+0.0004 ± 0.0003 (+0.01%)");
  EXPECT_EQ(b[9], "1.9e-06");
  EXPECT_EQ(b[10], "99.95%");
  // The failed type has a row that says so.
  const auto q = columns(row_of(report_, "q8_0 / q8_0"));
  ASSERT_EQ(q.size(), 11u);
  EXPECT_EQ(q[5], "error");
  EXPECT_EQ(q[7], "error");
}

TEST_F(FixtureReport, EveryTokPerSecondInTheSpeedTableIsAMedianOfSamples) {
  // Walk every speed-table row and recompute its medians and ratios from the raw samples.
  std::istringstream in(report_);
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    const auto c = columns(line);
    if (c.size() != 8 || c[1] != "0" || c[2] == "error") continue;  // speed table rows at depth 0
    const std::string kv = c[0].substr(0, c[0].find(' '));
    const std::string id = "cpu/stories260K/" + kv + "," + kv + "/speed/p128n64/d0";
    const double pp = json_median(doc_, id, "pp_tok_s"), tg = json_median(doc_, id, "tg_tok_s");
    EXPECT_EQ(c[2].rfind(fmt_rate(pp) + " [", 0), 0u) << line;
    EXPECT_EQ(c[4].rfind(fmt_rate(tg) + " [", 0), 0u) << line;
    if (kv != "fp32") {
      const std::string ref = "cpu/stories260K/fp32,fp32/speed/p128n64/d0";
      EXPECT_EQ(c[3].rfind(fmt_ratio(pp / json_median(doc_, ref, "pp_tok_s")), 0), 0u) << line;
      EXPECT_EQ(c[5].rfind(fmt_ratio(tg / json_median(doc_, ref, "tg_tok_s")), 0), 0u) << line;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST_F(FixtureReport, FailuresUnsupportedVariantsAndProvenanceAreShown) {
  EXPECT_NE(report_.find("| `cpu/stories260K/q8_0,q8_0/speed/p128n64/d0` | error | 1 | exit code 1: quant: error: "
                         "KV cache type q8_0 is not implemented in this build |"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("| 6 cells, `vulkan/stories260K/fp32,fp32/ppl/tinystories_a/c256` to "
                         "`vulkan/stories260K/q8_0,q8_0/speed/p128n64/d0` | unsupported | — | unsupported: not built"),
            std::string::npos)
      << report_;
  EXPECT_NE(report_.find("Variant `vulkan` is **unsupported: not built** (CMake configure failed"), std::string::npos);
  EXPECT_NE(report_.find("12 cells: 4 ok, 2 failed, 0 missing, 6 unsupported"), std::string::npos);
  EXPECT_NE(report_.find("engine commit 0123456789ab, Release, GNU 12.2.0, flags `-O3 -DNDEBUG -march=native`"),
            std::string::npos);
  EXPECT_NE(report_.find("Machine: Fixture CPU, 2 cores"), std::string::npos);
  EXPECT_NE(report_.find("bench-all commit fedcba987654"), std::string::npos);
  EXPECT_NE(report_.find("Model `stories260K`: /shared/models/stories260K.gguf, sha256 270cba1bd510"), std::string::npos);
  EXPECT_EQ(report_.find("synthetic"), std::string::npos) << "no synthetic label on real weights";
}

TEST_F(FixtureReport, StatisticsAndCsvAreConsistent) {
  const MeasureStats* m = analysis_.find("cpu/stories260K/fp32,fp32/speed/p128n64/d0", "tg_tok_s");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->summary.n, 9);
  EXPECT_EQ(m->summary.min, 14380);
  EXPECT_EQ(m->summary.max, 14700);
  EXPECT_TRUE(m->ci.contains(14500));
  EXPECT_TRUE(m->flags.empty()) << "9 samples with a CV under 1% support comparisons";
  const std::string csv = measures_csv(results_, analysis_);
  EXPECT_NE(csv.find("\"cpu/stories260K/fp32,fp32/speed/p128n64/d0\",cpu,1,stories260K,0,speed,fp32,fp32,,0,128,64,0,1,ok,"
                     "tg_tok_s,9,14500,"),
            std::string::npos)
      << csv;
  const std::string samples = samples_csv(results_);
  EXPECT_NE(samples.find("\"cpu/stories260K/fp32,fp32/speed/p128n64/d0\",0,1,ok,tg_tok_s,14000"), std::string::npos);
}

TEST(Report, WideSpreadAndFewSamplesAreFlagged) {
  json doc = json::parse(test::read_file(test::fixture("results-release-small.json")));
  for (auto& c : doc["cells"])
    if (c["id"] == "cpu/stories260K/fp16,fp16/speed/p128n64/d0") {
      c["runs"][1]["sample"]["tg_tok_s"] = {3000, 9000, 15000};  // CV far above 10%
      c["runs"][1]["sample"]["pp_tok_s"] = {6000, 6010, 6020};
      c["runs"].erase(3);                                          // one timed run left: 3 samples, too few
      c["runs"].erase(2);
      c["reps"] = 1;
    }
  const std::string dir = test::temp_dir("flags");
  test::write_file(dir + "/results.json", doc.dump());
  const Results r = load_results(dir + "/results.json");
  const Analysis a = analyze(r);
  const std::string id = "cpu/stories260K/fp16,fp16/speed/p128n64/d0";
  const MeasureStats* tg = a.find(id, "tg_tok_s");
  ASSERT_NE(tg, nullptr);
  ASSERT_EQ(tg->flags.size(), 2u);
  EXPECT_EQ(tg->flags[0], "few samples (n=3 < 5)");
  EXPECT_EQ(tg->flags[1].rfind("wide spread (CV 66.7% > 10.0%)", 0), 0u) << tg->flags[1];
  const Comparison* c = a.compare("kv_vs_fp32", id, "tg_tok_s");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->flags.empty());
  EXPECT_NE(render_report(r, a).find("⚠"), std::string::npos);
}

TEST(Report, RegeneratingFromResultsJsonGivesTheSameReport) {
  const std::string dir = test::temp_dir("regen");
  const Results r = load_results(test::fixture("results-release-small.json"));
  write_outputs(r, analyze(r), dir);
  const std::string stored = test::read_file(dir + "/report.md");
  const Results again = load_results(dir + "/results.json");
  EXPECT_EQ(render_report(again, analyze(again)), stored);
  // The stored analysis is exactly what the samples give.
  EXPECT_EQ(json::parse(test::read_file(dir + "/results.json"))["analysis"], to_json(analyze(again)));

  // The CLI check agrees, and catches a hand-edited number.
  const ProcessResult ok = run_process({BENCH_ALL_BIN, "report", "--check", dir + "/results.json"}, {}, 60);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  std::string edited = stored;
  const size_t at = edited.find("14500");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, 5, "15500");
  test::write_file(dir + "/report.md", edited);
  const ProcessResult bad = run_process({BENCH_ALL_BIN, "report", "--check", dir + "/results.json"}, {}, 60);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("differs from a regeneration"), std::string::npos) << bad.err;
}

TEST(Report, VariantTableComparesEachBuildWithTheDefault) {
  const auto p = test::make_fake_project("variant-table", {{"variants", {"cpu", "vulkan"}}, {"kv", {"fp32", "fp16"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv seed("FAKE_QUANT_SEED", "3");
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(p.options("run"), log).results;
  std::fclose(log);
  const Analysis a = analyze(r);
  const std::string md = render_report(r, a);
  EXPECT_NE(md.find("### Builds: `tiny`, default `cpu` vs `vulkan`"), std::string::npos) << md;
  EXPECT_NE(md.find("| Type (K / V) | depth | test | `cpu` tok/s [95% CI] | `vulkan` tok/s [95% CI] | `vulkan` vs `cpu` [95% CI] | verdict |"),
            std::string::npos);
  const std::string id = "vulkan/tiny/fp16,fp16/speed/p16n8/d0";
  const Comparison* c = a.compare("variant_vs_default", id, "tg_tok_s");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reference, "cpu/tiny/fp16,fp16/speed/p16n8/d0");
  EXPECT_NE(md.find("| fp16 / fp16 | 0 | tg8 | "), std::string::npos);
  EXPECT_NE(md.find(fmt_ratio_ci(c->ratio, c->ci)), std::string::npos);
}

TEST(Report, CorruptResultsFilesAreRejectedWithThePath) {
  json doc = json::parse(test::read_file(test::fixture("results-release-small.json")));
  const std::string dir = test::temp_dir("corrupt");
  auto error = [&](const json& d) {
    test::write_file(dir + "/results.json", d.dump());
    try {
      load_results(dir + "/results.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(loaded)");
  };
  json d = doc;
  d["cells"][2]["status"] = "great";
  EXPECT_NE(error(d).find("results.json: $.cells[2].status: unknown cell status"), std::string::npos) << error(d);
  d = doc;
  d["cells"][0]["runs"][0].erase("sample");
  EXPECT_NE(error(d).find("$.cells[0].runs[0]: an ok run needs a \"sample\""), std::string::npos) << error(d);
  d = doc;
  d["schema_version"] = 99;
  EXPECT_NE(error(d).find("$.schema_version"), std::string::npos);
  d = doc;
  d["cells"][1]["variant"] = "gpu";
  EXPECT_NE(error(d).find("$.cells[1].variant: unknown variant 'gpu'"), std::string::npos) << error(d);
}

TEST(Report, PlotsAreWrittenWithMatplotlib) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 missing (scripts/setup installs it)";
  const std::string dir = test::temp_dir("plots");
  const Results r = load_results(test::fixture("results-release-small.json"));
  write_outputs(r, analyze(r), dir);
  std::FILE* log = std::tmpfile();
  const bool ok = write_plots(QUANT_SOURCE_DIR, dir, log);
  std::fclose(log);
  ASSERT_TRUE(ok);
  for (const auto& f : plot_files(r)) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
    EXPECT_GT(std::filesystem::file_size(dir + "/" + f), 1000u) << f;
  }
}

}  // namespace
}  // namespace quant::harness
