// What the libFuzzer target over bench-all's JSON readers (harness/fuzz) found (issue 22 follow-up): a
// report that read a missing engine field through nlohmann's const operator[] (undefined behaviour that
// crashed only with some heap layouts, so the saved input did not reproduce alone), provenance and engine
// fields of a wrong type that escaped the report as json exceptions, and names that overflowed the stack
// in std::regex.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/claims/claims.h"
#include "harness/plan/variants.h"
#include "harness/report/report.h"
#include "harness/stats/analysis.h"
#include "harness/store/results.h"
#include "harness/sweep/journal.h"
#include "harness/util/json_check.h"
#include "faults_test_support.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

using nlohmann::json;
using test::contains;
using test::error_of;

json small_results() { return json::parse(test::read_file(test::fixture("results-release-small.json"))); }

// Writes `j` to <dir>/<name> and returns the path.
std::string write_json(const std::string& dir, const std::string& name, const json& j) {
  const std::string path = dir + "/" + name;
  test::write_file(path, j.dump());
  return path;
}

TEST(ReaderFuzz, MemberOfAMissingKeyIsNull) {
  const json obj = {{"a", 1}};
  EXPECT_EQ(member(obj, "a"), 1);
  EXPECT_TRUE(member(obj, "b").is_null());
  EXPECT_TRUE(member(json(5), "a").is_null());
  EXPECT_TRUE(member(member(obj, "b"), "c").is_null());
  EXPECT_EQ(text_of(json{{"s", 5}}, "s"), "?");
  EXPECT_FALSE(flag_of(json{{"f", "yes"}}, "f"));
  EXPECT_EQ(number_of(json{{"n", "2"}}, "n", -1), -1);
}

// The crash the fuzzer's first CI run found: an engine report without build.cmake_options or backend.
TEST(ReaderFuzz, ReportOfAnEngineWithoutOptionalFields) {
  const std::string dir = test::temp_dir("reader-fuzz-engine");
  json r = small_results();
  for (auto& c : r["cells"])
    if (c.contains("engine")) {
      c["engine"]["build"].erase("cmake_options");
      c["engine"].erase("backend");
      c["engine"].erase("model");
    }
  r["provenance"]["system"].erase("n_cores");
  const Results res = load_results(write_json(dir, "r.json", r));
  const std::string md = render_report(res, analyze(res));
  EXPECT_TRUE(contains(md, "CMake , SIMD")) << md;
  EXPECT_TRUE(contains(md, "backend ? on ?")) << md;
}

TEST(ReaderFuzz, WrongTypesInProvenanceEngineAndPeerRecordsAreInputErrors) {
  const std::string dir = test::temp_dir("reader-fuzz-types");
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& r) { r["provenance"]["harness"] = 5; }, "$.provenance.harness: expected an object, got 5"},
      {[](json& r) { r["provenance"]["harness"]["git_commit"] = 5; }, "$.provenance.harness.git_commit: expected a string"},
      {[](json& r) { r["provenance"]["system"]["n_cores"] = "x"; }, "$.provenance.system.n_cores: expected a number"},
      {[](json& r) { r["cells"][0]["engine"]["build"]["git_dirty"] = "no"; }, "$.cells[0].engine.build.git_dirty: expected true or false"},
      {[](json& r) { r["cells"][0]["engine"]["build"]["cmake_options"] = 1; }, "$.cells[0].engine.build.cmake_options: expected an object"},
      {[](json& r) { r["cells"][0]["engine"]["backend"]["used"] = 1; }, "$.cells[0].engine.backend.used: expected a string"},
      {[](json& r) { r["cells"][0]["engine"]["config"]["command"] = 1; }, "$.cells[0].engine.config.command: expected a string"},
      {[](json& r) { r["variants"][0]["build"]["peer"] = 5; }, "$.variants[0].build.peer: expected an object, got 5"},
      {[](json& r) { r["variants"][0]["build"]["peer"] = {{"files", {{"llama-bench", 1}}}}; },
       "$.variants[0].build.peer.files.llama-bench: expected a string"},
      {[](json& r) { r["variants"][0]["build"]["peer"] = {{"readme_table", {{"source", 1}}}}; },
       "$.variants[0].build.peer.readme_table.source: expected a string"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json r = small_results();
    cases[i].first(r);
    const std::string path = write_json(dir, std::to_string(i) + ".json", r);
    const std::string e = error_of([&] { load_results(path); });
    EXPECT_TRUE(e.starts_with(path) && contains(e, ": " + cases[i].second)) << e;
    EXPECT_FALSE(contains(e, "\n")) << e;
  }
}

// std::regex recursed once per character: a long name overflowed the stack (about 30 000 characters).
TEST(ReaderFuzz, LongNamesAreCheckedWithoutRecursion) {
  const std::string dir = test::temp_dir("reader-fuzz-names");
  const std::string long_id = std::string(200000, 'a');
  const json claims = {{"schema", "bench-all.claims"}, {"schema_version", 1},
                       {"claims", {{{"id", long_id + "A"}, {"text", "x"}, {"checks", json::array()}}}}};
  EXPECT_TRUE(contains(error_of([&] { load_claims(write_json(dir, "c.json", claims)); }),
                       "$.claims[0].id: claim ids use a-z, 0-9"));
  json variants = {{"schema", "bench-all.variants"}, {"schema_version", 1},
                   {"variants", {{{"name", long_id + "!"}, {"default", true}, {"backend", "cpu"}, {"build_type", "Release"}}}}};
  EXPECT_TRUE(contains(error_of([&] { load_variants(write_json(dir, "v1.json", variants)); }),
                       "$.variants[0].name: variant names use a-z"));
  variants["variants"][0]["name"] = long_id;
  variants["variants"][0]["env"] = {{std::string(200000, 'X') + "-", "1"}};
  EXPECT_TRUE(contains(error_of([&] { load_variants(write_json(dir, "v2.json", variants)); }),
                       "not a valid environment variable name"));
  variants["variants"][0]["env"] = {{"QUANT_ISA", "avx2"}};
  EXPECT_EQ(load_variants(write_json(dir, "v3.json", variants)).variants.at(0).name, long_id);
  for (const char* bad : {"", "_a", "-a", ".a", "A", "a b", "a/b"}) EXPECT_FALSE(is_lower_id(bad)) << bad;
  for (const char* good : {"a", "0", "a_b.c-d", "cpu"}) EXPECT_TRUE(is_lower_id(good)) << good;
  for (const char* bad : {"", "1A", "A-B", "A.B"}) EXPECT_FALSE(is_identifier(bad)) << bad;
  for (const char* good : {"_", "A", "QUANT_NATIVE", "a1"}) EXPECT_TRUE(is_identifier(good)) << good;
}

TEST(ReaderFuzz, ABadShardInAJournalNamesTheJournal) {
  const std::string dir = test::temp_dir("reader-fuzz-journal");
  const json header = {{"schema", "bench-all.journal"}, {"schema_version", 1}, {"run_id", "r"}, {"started", "s"},
                       {"root", "."}, {"suite_file", "s.json"}, {"variants_file", "v.json"}, {"plan_sha256", "p"},
                       {"shard", "0/0"}, {"binaries", json::object()}};
  const std::string path = dir + "/journal.jsonl";
  test::write_file(path, header.dump() + "\n");
  JournalHeader h;
  std::vector<RunRecord> runs;
  EXPECT_EQ(error_of([&] { Journal::reopen(path, h, runs); }),
            path + ": line 1: \"shard\" is not of the form i/n with 1 <= i <= n");
}

}  // namespace
}  // namespace quant::harness
