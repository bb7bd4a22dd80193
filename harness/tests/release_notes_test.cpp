// Release notes: tables from the results, a "what changed" section computed from the previous
// release's stored results, and version ordering.
#include <gtest/gtest.h>

#include "harness/stats/analysis.h"
#include "harness/util/process.h"
#include "harness/report/release_notes.h"
#include "harness/util/gzip.h"
#include "harness/util/json_check.h"
#include "quant/error.h"
#include "harness/store/results.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

using nlohmann::json;

TEST(ReleaseNotes, VersionsOrderNumerically) {
  EXPECT_TRUE(version_less("0.9.0", "0.10.0"));
  EXPECT_TRUE(version_less("1.0-rc1", "1.0"));
  EXPECT_TRUE(version_less("v1.2", "1.10"));
  EXPECT_FALSE(version_less("1.0", "1.0"));
  const std::string dir = test::temp_dir("releases");
  for (const char* v : {"0.10.0", "0.2.0", "0.9.1"}) test::write_file(dir + "/" + v + ".results.json.gz", "{}");
  test::write_file(dir + "/0.9.1.md", "notes");
  EXPECT_EQ(stored_versions(dir), (std::vector<std::string>{"0.2.0", "0.9.1", "0.10.0"}));
  EXPECT_EQ(previous_version(dir, "0.10.0"), "0.9.1");
  EXPECT_EQ(previous_version(dir, "1.0.0"), "0.10.0");
  EXPECT_FALSE(previous_version(dir, "0.1.0").has_value());
}

// Stored release results are gzipped JSON; a file that is not gzip, or one that would inflate past the
// input limit, is refused with its path.
TEST(ReleaseNotes, StoredResultsAreGzippedAndCheckedWhenRead) {
  const std::string dir = test::temp_dir("gz");
  const std::string text = test::read_file(test::fixture("results-release-small.json"));
  const std::string gz = gzip_bytes(text);
  EXPECT_LT(gz.size(), text.size() / 3);
  EXPECT_EQ(gunzip_bytes(gz, "x.gz", 1 << 30), text);
  test::write_file(stored_results_path(dir, "1.0"), gz);
  EXPECT_EQ(load_results(stored_results_path(dir, "1.0")).cells.size(),
            load_results(test::fixture("results-release-small.json")).cells.size());
  test::write_file(dir + "/plain.json.gz", text);
  try {
    read_json_file(dir + "/plain.json.gz");
    ADD_FAILURE() << "plain JSON named .gz was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("plain.json.gz: not valid gzip data"), std::string::npos) << e.what();
  }
  test::write_file(dir + "/cut.json.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THROW(read_json_file(dir + "/cut.json.gz"), InputError);
  try {
    gunzip_bytes(gzip_bytes(std::string(3 << 20, ' ')), "big.gz", 1 << 20);
    ADD_FAILURE() << "a bomb past the limit was inflated";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("big.gz: decompresses to more than"), std::string::npos) << e.what();
  }
}

TEST(ReleaseNotes, WhatChangedComesFromThePreviousReleasesResults) {
  const Results now = load_results(test::fixture("results-release-small.json"));
  // The previous release: fp16 generation was 10% faster, fp32 the same, and one PPL differed.
  json prev_doc = json::parse(test::read_file(test::fixture("results-release-small.json")));
  for (auto& c : prev_doc["cells"]) {
    if (c["id"] == "cpu/stories260K/fp16,fp16/speed/p128n64/d0")
      for (auto& r : c["runs"])
        for (auto& v : r["sample"]["tg_tok_s"]) v = v.get<double>() * 1.1;
    if (c["id"] == "cpu/stories260K/fp16,fp16/ppl/tinystories_a/c256") c["runs"][0]["sample"]["ppl"] = 6.7;
  }
  const std::string dir = test::temp_dir("prev");
  test::write_file(stored_results_path(dir, "0.1.0"), gzip_bytes(prev_doc.dump()));
  const PreviousRelease prev{"0.1.0", load_results(stored_results_path(dir, "0.1.0"))};
  const std::string md = render_release_notes("0.2.0", now, analyze(now), prev, "");
  EXPECT_NE(md.find("# quant 0.2.0: benchmark tables"), std::string::npos);
  EXPECT_NE(md.find("| fp32 / fp32 | 32 | 1280 |"), std::string::npos) << md;
  EXPECT_NE(md.find("## What changed since the previous release"), std::string::npos);
  EXPECT_NE(md.find("Same machine class (Fixture CPU, 2 cores)"), std::string::npos);
  auto row = [&](const std::string& start) {
    const size_t at = md.find(start);
    return at == std::string::npos ? std::string() : md.substr(at, md.find('\n', at) - at);
  };
  const std::string fp16_tg = row("| `cpu/stories260K/fp16,fp16/speed/p128n64/d0` | tg_tok_s |");
  EXPECT_NE(fp16_tg.find("| 0.909x ["), std::string::npos) << fp16_tg;
  EXPECT_NE(fp16_tg.find("| slower |"), std::string::npos) << fp16_tg;
  const std::string fp32_tg = row("| `cpu/stories260K/fp32,fp32/speed/p128n64/d0` | tg_tok_s |");
  EXPECT_NE(fp32_tg.find("| 1.000x ["), std::string::npos) << fp32_tg;
  EXPECT_NE(fp32_tg.find("no clear change"), std::string::npos) << fp32_tg;
  const std::string ppl = row("| `cpu/stories260K/fp16,fp16/ppl/tinystories_a/c256` | ppl |");
  EXPECT_NE(ppl.find("| 6.7 | 6.6499 | -0.0501 | changed |"), std::string::npos) << ppl;
  EXPECT_NE(md.find("## Claims"), std::string::npos);
  EXPECT_NE(md.find("**Provenance.**"), std::string::npos);
}

TEST(ReleaseNotes, TheCommandWritesTheReleaseFileAndItsResults) {
  const std::string root = test::temp_dir("release-root");
  const std::string results = root + "/reports/release-x/results.json";
  test::write_file(results, test::read_file(test::fixture("results-release-small.json")));
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {BENCH_ALL_BIN, "--root", root, "release-notes"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, {}, 60);
  };
  const ProcessResult first = run({"--version", "0.1.0", "--results", results});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(test::read_file(root + "/reports/releases/0.1.0.md").find("No earlier release has stored results"),
            std::string::npos);
  const ProcessResult second = run({"--version", "0.2.0"});  // newest reports/release-*/results.json
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(test::read_file(root + "/reports/releases/0.2.0.md").find("Compared with 0.1.0"), std::string::npos);
  const ProcessResult again = run({"--version", "0.2.0"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("exists already (use --force"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace quant::harness
