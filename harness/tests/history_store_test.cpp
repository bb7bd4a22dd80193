// The history store: idempotent adds keyed by run, commit, machine class and suite; series ordered by
// commit time with several runs of a commit joined; schema migration from version 1 keeping the data;
// refusal of newer schemas, foreign files, dirty trees and shards (leaving the store unchanged).
#include "harness/history/history_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "harness_test_support.h"
#include "history_test_support.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

using nlohmann::json;

Results sweep(int n, double factor = 1, double other = 1) {
  const std::string dir = test::temp_dir("history-sweep-" + std::to_string(n));
  test::write_file(dir + "/results.json", test::replayed_sweep(n, "fp16,fp16/speed", factor, other).dump());
  return load_results(dir + "/results.json");
}

void sql(const std::string& file, const std::string& text) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

const HistorySeries* find(const std::vector<HistorySeries>& all, const std::string& cell, const std::string& measure) {
  for (const auto& s : all)
    if (s.cell == cell && s.measure == measure) return &s;
  return nullptr;
}

TEST(HistoryStore, AddIsIdempotentAndStoresTheAnalysisMedians) {
  const std::string db = test::temp_dir("history-idem") + "/sub/h.sqlite";  // the folder is created
  HistoryStore store(db);
  EXPECT_EQ(store.schema_version(), kHistorySchemaVersion);
  const Results r = sweep(1);
  const Analysis a = analyze(r);
  const auto first = store.add(r, a, 1000, "a.json");
  EXPECT_TRUE(first.added);
  EXPECT_GT(first.points, 4);
  const auto again = store.add(r, a, 1000, "a.json");
  EXPECT_FALSE(again.added);
  EXPECT_EQ(store.sweeps().size(), 1u);
  const auto all = store.series();
  int points = 0;
  for (const auto& s : all) points += static_cast<int>(s.points.size());
  EXPECT_EQ(points, first.points);
  const std::string cell = "cpu/stories260K/fp32,fp32/speed/p128n64/d0";
  const HistorySeries* s = find(all, cell, "tg_tok_s");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->points.size(), 1u);
  const MeasureStats* m = a.find(cell, "tg_tok_s");
  EXPECT_DOUBLE_EQ(s->points[0].value, m->summary.median);
  EXPECT_TRUE(s->points[0].has_interval);
  EXPECT_DOUBLE_EQ(s->points[0].lo, m->ci.lo);
  EXPECT_EQ(s->points[0].n, m->summary.n);
  EXPECT_EQ(s->variant, "cpu");
  EXPECT_EQ(s->suite, "release");
  EXPECT_EQ(s->machine, "fixture-cpu-2c-linux-x86_64");
  EXPECT_EQ(store.sweeps()[0].machine_text, "Fixture CPU, 2 cores, Linux x86_64");
}

TEST(HistoryStore, SeriesFollowCommitTimeAndJoinRunsOfOneCommit) {
  const std::string db = test::temp_dir("history-order") + "/h.sqlite";
  HistoryStore store(db);
  Results late = sweep(2, 2.0), early = sweep(1, 1.0), again = sweep(2, 4.0);
  again.run_id = "replay-2-second-run";
  store.add(late, analyze(late), 7200, "late");
  store.add(early, analyze(early), 3600, "early");
  store.add(again, analyze(again), 7200, "again");
  const auto all = store.series("fp16,fp16/speed", "tg_tok_s");  // no wildcard: matches within the id
  ASSERT_EQ(all.size(), 1u);
  const auto& p = all[0].points;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].commit, test::fake_commit(1));
  EXPECT_EQ(p[1].commit, test::fake_commit(2));
  EXPECT_NEAR(p[1].value / p[0].value, 3.0, 1e-9);  // median of the two runs' x2 and x4
  EXPECT_EQ(p[1].run_id, "replay-2, replay-2-second-run");
  EXPECT_TRUE(store.series("*nothing*", "").empty());
  EXPECT_EQ(store.series("cpu/*/speed/*", "pp_tok_s").size(), 2u);
}

TEST(HistoryStore, MigratesVersionOneKeepingItsData) {
  const std::string db = test::temp_dir("history-migrate") + "/h.sqlite";
  { HistoryStore v1(db, 1); EXPECT_EQ(v1.schema_version(), 1); }
  sql(db,
      "INSERT INTO sweeps(id, run_id, commit_sha, commit_time, machine, suite, source, added_at)"
      " VALUES(1, 'old', 'abc', 5, 'm', 'pr', 'x', 'then');"
      "INSERT INTO points VALUES(1, 'cpu', 'cpu/a/fp32,fp32/speed/p1n1/d0', 'tg_tok_s', 42, NULL, NULL, 3);");
  HistoryStore now(db);
  EXPECT_EQ(now.schema_version(), 2);
  const auto all = now.series();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].points[0].value, 42);
  EXPECT_FALSE(all[0].points[0].has_interval);
  EXPECT_EQ(now.sweeps()[0].machine_text, "");
}

TEST(HistoryStore, RefusesNewerSchemasAndForeignFiles) {
  const std::string dir = test::temp_dir("history-refuse");
  { HistoryStore s(dir + "/new.sqlite"); }
  sql(dir + "/new.sqlite", "PRAGMA user_version = 99");
  try {
    HistoryStore s(dir + "/new.sqlite");
    FAIL() << "a newer schema was opened";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this bench-all's"), std::string::npos) << e.what();
  }
  test::write_file(dir + "/text.sqlite", "not a database, just text that is long enough to have a header......\n");
  EXPECT_THROW(HistoryStore(dir + "/text.sqlite"), InputError);
  sql(dir + "/other.sqlite", "CREATE TABLE t(x)");
  try {
    HistoryStore s(dir + "/other.sqlite");
    FAIL() << "another program's database was taken over";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a bench-all history store"), std::string::npos) << e.what();
  }
}

TEST(HistoryStore, RefusesDirtyTreesAndShardsWithoutWriting) {
  HistoryStore store(test::temp_dir("history-dirty") + "/h.sqlite");
  Results dirty = sweep(3);
  dirty.harness["git_dirty"] = true;
  EXPECT_THROW(store.add(dirty, analyze(dirty), 1, "d"), InputError);
  Results shard = sweep(4);
  shard.shard = "1/2";
  EXPECT_THROW(store.add(shard, analyze(shard), 1, "s"), InputError);
  EXPECT_TRUE(store.sweeps().empty());
  EXPECT_TRUE(store.series().empty());
}

TEST(HistoryStore, ParsesUtcTimes) {
  EXPECT_EQ(parse_utc_time("1970-01-01T00:01:00Z"), 60);
  EXPECT_EQ(parse_utc_time("2026-01-01T00:00:00+00:00"), 1767225600);
  EXPECT_EQ(parse_utc_time("1767225600"), 1767225600);
  EXPECT_EQ(parse_utc_time("2026-01-01T00:00:00+02:00"), -1);
  EXPECT_EQ(parse_utc_time("yesterday"), -1);
  EXPECT_EQ(utc_time_text(1767225600), "2026-01-01T00:00:00Z");
}

}  // namespace
}  // namespace quant::harness
