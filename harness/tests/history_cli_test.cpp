// `bench-all history` end to end on 36 replayed commits (the fixture's sweep with commit-to-commit noise
// of 10% CV on every timing, what the median of a few runs at this VM's 14-20% keeps, and a 30% slowdown
// of the fp16 cache from commit 24 on):
// import is idempotent, show prints the series, changes finds the injected step with its commit range
// and no step on the unchanged cells, --since decides the exit code, and the dashboard's pages load in
// headless Chromium with the trend plots and the change point marked.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "harness/util/process.h"
#include "harness/stats/stats.h"
#include "harness_test_support.h"
#include "history_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

constexpr int kCommits = 36, kStep = 24;

ProcessResult bench_all(std::vector<std::string> args) {
  args.insert(args.begin(), BENCH_ALL_BIN);
  return run_process(args, {}, 120);
}

int count_lines_with(const std::string& text, const std::string& what) {
  int n = 0;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    n += text.substr(start, end - start).find(what) != std::string::npos;
  return n;
}

class HistoryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::temp_dir("history-cli");
    Rng rng(25);
    const double sigma = std::sqrt(std::log(1 + 0.10 * 0.10));
    for (int i = 0; i < kCommits; ++i) {
      const double step = i >= kStep ? 0.7 : 1.0;
      const double noise_fp16 = std::exp(sigma * rng.normal()), noise_other = std::exp(sigma * rng.normal());
      const std::string d = dir_ + "/artifacts/commit-" + std::to_string(i);
      fs::create_directories(d);
      test::write_file(d + "/results.json",
                       test::replayed_sweep(i, "fp16,fp16/speed", step * noise_fp16, noise_other).dump());
    }
    db_ = dir_ + "/history.sqlite";
  }
  static std::string dir_, db_;
};
std::string HistoryCli::dir_, HistoryCli::db_;

TEST_F(HistoryCli, ImportShowChangesAndDashboard) {
  const ProcessResult imp = bench_all({"history", "import", dir_ + "/artifacts", "--db", db_});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("36 sweeps in"), std::string::npos) << imp.out;
  const ProcessResult again = bench_all({"history", "import", dir_ + "/artifacts", "--db", db_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count_lines_with(again.out, "already stored"), kCommits);
  EXPECT_NE(again.out.find("36 sweeps in"), std::string::npos);

  const ProcessResult show = bench_all({"history", "show", "--db", db_, "--cell", "fp16,fp16/speed", "--measure", "tg_tok_s"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("36 commits"), std::string::npos) << show.out;
  EXPECT_EQ(count_lines_with(show.out, "replay-"), kCommits);

  const ProcessResult ch = bench_all({"history", "changes", "--db", db_, "--measure", "tg_tok_s"});
  std::printf("%s", ch.out.c_str());
  EXPECT_EQ(ch.exit_code, 1) << ch.err;
  const std::string range = test::fake_commit(kStep - 1).substr(0, 10) + ".." + test::fake_commit(kStep).substr(0, 10);
  EXPECT_EQ(count_lines_with(ch.out, range), 1) << "the injected step, at its commits";
  EXPECT_EQ(count_lines_with(ch.out, "REGRESSION"), 1);
  EXPECT_EQ(count_lines_with(ch.out, "fp32,fp32"), 0) << "a false step on the unchanged cell";

  // --since: the step is not newer than its own commit, but is newer than an earlier one.
  EXPECT_EQ(bench_all({"history", "changes", "--db", db_, "--measure", "tg_tok_s", "--since", test::fake_commit(kStep)}).exit_code, 0);
  EXPECT_EQ(bench_all({"history", "changes", "--db", db_, "--measure", "tg_tok_s", "--since", test::fake_commit(20).substr(0, 12)}).exit_code, 1);
  const ProcessResult bad = bench_all({"history", "changes", "--db", db_, "--since", "deadbeef"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--since"), std::string::npos);

  const std::string out = dir_ + "/site";
  const ProcessResult html = bench_all({"history", "html", "--db", db_, "--out", out, "--commit-url", "../commits/"});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string page = out + "/suite-release-fixture-cpu-2c-linux-x86_64.html";
  ASSERT_TRUE(fs::exists(out + "/index.html"));
  ASSERT_TRUE(fs::exists(page)) << html.out;
  const test::BrowserPage dom = test::headless_dom("file://" + page + "#kv=fp16%20%2F%20fp16");
  if (!dom.ok()) GTEST_SKIP() << dom.why;
  EXPECT_NE(dom.dom.find("data-filters-ready=\"1\""), std::string::npos);
  EXPECT_EQ(dom.dom.find("data-js-errors"), std::string::npos);
  EXPECT_GE(count_lines_with(dom.dom, "<figure class=\"trend\""), 4);
  EXPECT_GE(count_lines_with(dom.dom, "class=\"change\""), 2);  // tg and pp of fp16 stepped
  EXPECT_NE(dom.dom.find("class=\"regression\""), std::string::npos);
  EXPECT_NE(dom.dom.find("href=\"../commits/" + test::fake_commit(kStep) + "\""), std::string::npos);
  EXPECT_EQ(test::headless_dom("file://" + out + "/index.html").dom.find("data-js-errors"), std::string::npos);
  const test::BrowserPage shot = test::headless_dom("file://" + page, dir_ + "/dashboard.png");
  ASSERT_TRUE(shot.ok()) << shot.why;
}

TEST(HistoryCliErrors, BadInputsNameTheProblem) {
  const std::string dir = test::temp_dir("history-cli-errors");
  const ProcessResult none = bench_all({"history", "show", "--db", dir + "/absent.sqlite"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("absent.sqlite: no history store"), std::string::npos) << none.err;
  test::write_file(dir + "/bad.json", "{");
  const ProcessResult bad = bench_all({"history", "add", dir + "/bad.json", "--db", dir + "/h.sqlite"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("bad.json"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir + "/h.sqlite")) << "a bad file must leave no store behind";
  auto dirty = test::replayed_sweep(1, "x", 1, 1);
  dirty["provenance"]["harness"]["git_dirty"] = true;
  test::write_file(dir + "/dirty.json", dirty.dump());
  const ProcessResult d = bench_all({"history", "add", dir + "/dirty.json", "--db", dir + "/h.sqlite"});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("dirty.json: measured from a dirty tree"), std::string::npos) << d.err;
  EXPECT_FALSE(fs::exists(dir + "/h.sqlite"));
  test::write_file(dir + "/r.json", test::replayed_sweep(1, "x", 1, 1).dump());
  const ProcessResult t = bench_all({"history", "add", dir + "/r.json", "--db", dir + "/h.sqlite", "--commit-time", "soon"});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--commit-time"), std::string::npos) << t.err;
}

}  // namespace
}  // namespace quant::harness
