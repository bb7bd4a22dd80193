// One sweep per folder and an honest journal (issue 22, items 2, 8, 10): the folder lock, repeated or
// out-of-order journal lines, what a resumed sweep records, folders that cannot be used.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/util/folder_lock.h"
#include "harness/store/results.h"
#include "faults_test_support.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::contains;
using test::error_of;
using test::lines_of;

SweepOutcome sweep(const SweepOptions& o) { return test::quiet_sweep(o); }

// Item 2: one sweep per folder; an edited journal with a repeated run is refused.
TEST(Faults, ASecondSweepOnALockedFolderIsRefused) {
  const auto p = test::make_fake_project("locked", {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  SweepOptions o = p.options("run");
  o.max_runs = 1;
  sweep(o);
  SweepOptions again = test::resume_options(o);
  {
    FolderLock busy(o.out_dir);  // another bench-all is on it
    const std::string e = error_of([&] { sweep(again); });
    EXPECT_TRUE(contains(e, "another bench-all is running a sweep in this folder")) << e;
    SweepOptions fresh = p.options("run");
    EXPECT_TRUE(contains(error_of([&] { sweep(fresh); }), "another bench-all"));
  }
  const SweepOutcome done = sweep(again);  // free again once the other one ends
  for (const auto& c : done.results.cells) EXPECT_EQ(c.status, "ok") << c.cell.id;
  // While the outcome is kept, its folder stays locked (the outputs are written under the lock).
  EXPECT_TRUE(contains(error_of([&] { FolderLock l(o.out_dir); }), "another bench-all"));
}

TEST(Faults, AJournalWithARepeatedOrOutOfOrderRunIsRefused) {
  const auto p = test::make_fake_project("dup", {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  SweepOptions o = p.options("run");
  o.max_runs = 3;
  sweep(o);
  const std::string journal = o.out_dir + "/journal.jsonl";
  const auto lines = lines_of(journal);
  ASSERT_EQ(lines.size(), 4u);
  SweepOptions again = test::resume_options(o);

  std::ofstream(journal, std::ios::app) << lines[3] << "\n";  // a line duplicated by hand
  std::string e = error_of([&] { sweep(again); });
  EXPECT_TRUE(contains(e, "line 5 repeats run")) << e;
  EXPECT_TRUE(contains(e, "first on line 4")) << e;

  // A run index that skips ahead (the journal of another sweep pasted in) is refused too.
  json skip = json::parse(lines[3]);
  skip["run"]["index"] = skip["run"]["index"].get<int>() + 2;
  std::ofstream(journal, std::ios::trunc) << lines[0] << "\n" << lines[1] << "\n" << lines[2] << "\n" << skip.dump() << "\n";
  e = error_of([&] { sweep(again); });
  EXPECT_TRUE(contains(e, "does not follow its")) << e;
}


// Item 8: a resumed sweep keeps the command that started it and counts the earlier sessions' time.
TEST(Faults, AResumedSweepRecordsTheFirstCommandAndAllItsTime) {
  const auto p = test::make_fake_project("provenance", {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv slow("FAKE_QUANT_SLEEP_S", "0.05");
  SweepOptions o = p.options("run");
  o.command = "bench-all run --suite test --binary cpu=fake";
  o.max_runs = 4;
  sweep(o);
  SweepOptions again = test::resume_options(o);
  again.command = "bench-all run --resume x";
  const Results r = sweep(again).results;
  EXPECT_EQ(r.command, "bench-all run --suite test --binary cpu=fake");
  double quant_s = 0;
  for (const auto& c : r.cells)
    for (const auto& run : c.runs) quant_s += run.wall_s;
  EXPECT_GE(r.wall_s, quant_s);
}

// Item 10: clear reasons for folders that cannot be used.
TEST(Faults, AnUnusableSweepFolderIsNamedWithTheReason) {
  const std::string dir = test::temp_dir("unusable");
  test::write_file(dir + "/file", "x");
  const std::string e = error_of([&] { FolderLock l(dir + "/file/sub"); });
  EXPECT_TRUE(contains(e, dir + "/file/sub: cannot create the sweep folder: ")) << e;
}


}  // namespace
}  // namespace quant::harness
