// Bytes that are not UTF-8 in quant's stderr (issue 22, item 1): escaped, the failing cell recorded,
// the sweep and --resume go on.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/store/results.h"
#include "harness/util/utf8.h"
#include "faults_test_support.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::contains;
using test::lines_of;

SweepOutcome sweep(const SweepOptions& o) { return test::quiet_sweep(o); }

TEST(Utf8, InvalidBytesAreEscapedValidTextIsKept) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("a\xff" "b"), "a\\xFFb");
  EXPECT_EQ(valid_utf8("cut \xe2\x82"), "cut \\xE2\\x82");
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\\xC0\\xAF");          // overlong '/'
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
  EXPECT_NO_THROW(json(valid_utf8("\xfe\xff\x80")).dump());
}

// Item 1: a model whose error message holds 0xFF fails its cells; the sweep goes on and --resume works.
TEST(Faults, StderrThatIsNotUtf8FailsOnlyItsCell) {
  const auto p = test::make_fake_project("bad-utf8");
  test::FakeSearchPath paths(p);
  test::ScopedEnv bad("FAKE_QUANT_BAD_STDERR_KV", "q8_0");
  SweepOptions o = p.options("run");
  o.max_runs = 4;
  EXPECT_TRUE(sweep(o).interrupted);
  SweepOptions again = test::resume_options(o);
  const Results r = sweep(again).results;
  ASSERT_EQ(r.cells.size(), 6u);
  for (const auto& c : r.cells) {
    if (c.cell.kv.k == "q8_0") {
      EXPECT_EQ(c.status, "error") << c.cell.id;
      EXPECT_TRUE(contains(c.reason, "unknown architecture '\\xFF\\xFEllama\\xE2\\x82'")) << c.reason;
    } else {
      EXPECT_EQ(c.status, "ok") << c.cell.id << ": " << c.reason;
    }
  }
  // The results and the journal are valid JSON, and a second resume reads the journal back.
  EXPECT_NO_THROW(json::parse(results_to_json(r, json::object()).dump()));
  for (const auto& line : lines_of(o.out_dir + "/journal.jsonl")) EXPECT_NO_THROW(json::parse(line)) << line;
  EXPECT_EQ(sweep(again).results.cells.size(), 6u);
}


}  // namespace
}  // namespace quant::harness
