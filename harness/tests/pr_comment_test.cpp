// The pull-request comment: from a verdict with regressions and a changed deterministic figure plus
// claims that fail, it lists regressions first, then changed figures, then the failing claims, then
// the link; it carries the sticky marker, stays short, and refuses a file that is not a verdict.
#include "harness/report/pr_comment.h"

#include <gtest/gtest.h>

#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness_test_support.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

using nlohmann::json;

json fixture_verdict() { return json::parse(test::read_file(test::fixture("pr-comment/verdict.json"))); }

TEST(PrComment, RegressionsFirstThenChangedFiguresThenClaimsThenLink) {
  const std::vector<FailingClaim> claims{{"fp16-twice-as-fast", "An fp16 cache decodes more than 2x as fast.",
                                          {"speed ratio 1.02 is not > 2"}}};
  PrCommentOptions o;
  o.report_url = "https://example.invalid/run/1";
  o.head = "0123456789abcdef0123456789abcdef01234567";
  const std::string md = render_pr_comment(fixture_verdict(), "verdict.json", claims, o);
  std::printf("%s", md.c_str());
  EXPECT_EQ(md.rfind(kPrCommentMarker, 0), 0u) << "the marker must open the comment";
  EXPECT_NE(md.find("❌ FAIL at 0123456789 — 2 regression(s), 1 changed figure(s), 1 failing claim(s)"), std::string::npos);
  const size_t reg = md.find("**Regressions**"), det = md.find("**Deterministic figures"),
               cl = md.find("**Claims that fail**"), link = md.find("[Full report](https://example.invalid/run/1)");
  ASSERT_NE(reg, std::string::npos);
  EXPECT_LT(reg, det);
  EXPECT_LT(det, cl);
  EXPECT_LT(cl, link);
  EXPECT_NE(md.find("0.812x [0.770, 0.860], p 0.0021"), std::string::npos);
  EXPECT_NE(md.find("`cpu/stories260K/q8_0,q8_0/ppl/tinystories_a/c256` ppl"), std::string::npos);
  EXPECT_NE(md.find("  - speed ratio 1.02 is not > 2"), std::string::npos);
  EXPECT_EQ(md.find("fp16,fp16/speed"), std::string::npos) << "improvements are counted, not listed";
  EXPECT_NE(md.find("3 regression, 1 improvement, 2 inconclusive, 107 unchanged"), std::string::npos);
}

TEST(PrComment, PassWithoutRegressionsIsOneShortAnswer) {
  json v = fixture_verdict();
  v["verdict"] = "pass";
  v["checks"] = json::array();
  const std::string md = render_pr_comment(v, "v.json", {}, {});
  EXPECT_NE(md.find("✅ pass — 0 regression(s)"), std::string::npos);
  EXPECT_EQ(md.find("**Regressions**"), std::string::npos);
  EXPECT_EQ(md.find("[Full report]"), std::string::npos);
  EXPECT_LT(std::count(md.begin(), md.end(), '\n'), 8);
}

TEST(PrComment, LongListsAreCut) {
  json v = fixture_verdict();
  for (int i = 0; i < 30; ++i) v["checks"].push_back(v["checks"][0]);
  PrCommentOptions o;
  o.max_rows = 5;
  const std::string md = render_pr_comment(v, "v.json", {}, o);
  EXPECT_NE(md.find("…and 27 more in the full report."), std::string::npos);
}

TEST(PrComment, RefusesWhatIsNotAVerdict) {
  EXPECT_THROW(render_pr_comment(json{{"schema", "bench-all.results"}}, "r.json", {}, {}), InputError);
}

// The command: failing claims come from checking claims.json against the results, as `claims` does.
TEST(PrComment, CommandChecksTheClaimsAgainstTheResults) {
  const std::string dir = test::temp_dir("pr-comment-cli");
  const ProcessResult p = run_process({BENCH_ALL_BIN, "pr-comment", "--verdict", test::fixture("pr-comment/verdict.json"),
                                       "--results", test::fixture("results-release-small.json"), "--claims",
                                       test::fixture("pr-comment/claims.json"), "--out", dir + "/comment.md"},
                                      {}, 60);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::string md = test::read_file(dir + "/comment.md");
  EXPECT_NE(md.find("`fp16-twice-as-fast`"), std::string::npos) << md;
  EXPECT_EQ(md.find("`fp16-not-slower`"), std::string::npos) << "a claim that holds is not listed";
  const ProcessResult bad = run_process({BENCH_ALL_BIN, "pr-comment", "--verdict", test::fixture("results-release-small.json")}, {}, 60);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("results-release-small.json: not a bench-all verdict"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace quant::harness

namespace quant::harness {
namespace {

// scripts/post-pr-comment.py against a fake GitHub API on 127.0.0.1: the first push creates the comment,
// the second edits it (one comment, not two), a fork's pull request is skipped without any API call.
TEST(PrCommentPost, StickyCommentIsCreatedOnceThenEditedAndForksAreSkipped) {
  const std::string dir = test::temp_dir("pr-comment-post");
  const ProcessResult p = run_process({"/usr/bin/python3", test::fixture("pr-comment/post_with_fake_github.py"),
                                       QUANT_SOURCE_DIR, dir},
                                      {}, 120);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const json r = json::parse(p.out);
  ASSERT_EQ(r["runs"].size(), 3u);
  for (const auto& run : r["runs"]) EXPECT_EQ(run["code"], 0) << run.dump();
  EXPECT_NE(r["runs"][0]["out"].get<std::string>().find("posted comment"), std::string::npos);
  EXPECT_NE(r["runs"][1]["out"].get<std::string>().find("updated comment"), std::string::npos);
  EXPECT_NE(r["runs"][2]["out"].get<std::string>().find("SKIPPED posting: pull request from the fork"), std::string::npos);
  ASSERT_EQ(r["comments"].size(), 2u);  // the unrelated one and ours
  EXPECT_EQ(r["comments"][0]["body"], "an unrelated comment");
  EXPECT_EQ(r["comments"][1]["body"], "<!-- bench-all:pr-comment -->\ntwo\n");
  int writes = 0;
  for (const auto& c : r["calls"]) {
    writes += c[0] != "GET";
    if (c[0] == "GET") {
      EXPECT_EQ(c[2], "Bearer t0ken");
    }
  }
  EXPECT_EQ(writes, 2);  // one POST, one PATCH; nothing for the fork
}

}  // namespace
}  // namespace quant::harness
