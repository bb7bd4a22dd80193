// Claims: the bad-claim corpus (harness/tests/fixtures/claims/<case>/: case.json, claims.json, doc.md)
// is measured with fake_quant and every bad case must be rejected with its reason, the good one must
// pass; plus phrase detection, Markdown sentences, claims-file validation and the README's own claims.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "gate_test_support.h"
#include "harness/store/baseline.h"
#include "harness/claims/claims.h"
#include "harness/claims/doc_lint.h"
#include "harness/util/json_check.h"
#include "harness/judge/methodology.h"
#include "harness/util/process.h"
#include "harness/sweep/runner.h"
#include "quant/error.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CaseRun {
  int exit_code = -1;
  std::string output;
  std::string out_dir;  // claims.md and claims.json
};

// Measures the case's scenario with fake_quant, then runs `bench-all claims` on it.
CaseRun run_case(const fs::path& dir) {
  const json c = read_json_file((dir / "case.json").string());
  auto p = test::make_fake_project("claims-" + dir.filename().string(), c.value("suite", json::object()));
  SweepOptions o = p.options("run");
  if (c.contains("variants")) {
    test::write_file(p.variants_file, c.at("variants").dump(2));
    for (auto it = o.binaries.begin(); it != o.binaries.end();)
      it = c.at("variants").dump().find("\"" + it->first + "\"") == std::string::npos ? o.binaries.erase(it) : std::next(it);
  }
  std::vector<std::unique_ptr<test::ScopedEnv>> env;
  env.push_back(std::make_unique<test::ScopedEnv>("FAKE_QUANT_SEED_FILE", p.root + "/seed"));
  const json extra = c.value("env", json::object());
  for (const auto& [k, v] : extra.items())
    env.push_back(std::make_unique<test::ScopedEnv>(k.c_str(), v.get<std::string>()));
  test::FakeSearchPath paths(p);
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(o, log).results;
  std::fclose(log);
  for (const auto& cell : r.cells) EXPECT_TRUE(cell.ok()) << dir << ": " << cell.cell.id << ": " << cell.reason;
  const std::string results = p.root + "/results.json";
  test::write_file(results, results_to_json(r, json::object()).dump());
  const std::string out = p.root + "/claims-out";
  const ProcessResult pr = run_process({BENCH_ALL_BIN, "claims", "--claims", (dir / "claims.json").string(), "--results",
                                        results, "--lint", (dir / "doc.md").string(), "--out", out},
                                       {}, 60);
  return {pr.exit_code, pr.out + pr.err, out};
}

// claims.json: every claim of the claims file with its verdict, and each check's numbers as numbers.
void expect_valid_claims_json(const std::string& file, const fs::path& claims_file, bool pass) {
  const json j = read_json_file(file);
  EXPECT_EQ(j.at("schema"), "bench-all.claims-verdict");
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("verdict"), pass ? "pass" : "fail");
  const json claims = read_json_file(claims_file.string()).at("claims");
  ASSERT_EQ(j.at("claims").size(), claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    const json& c = j.at("claims")[i];
    EXPECT_EQ(c.at("id"), claims[i].at("id"));
    EXPECT_TRUE(c.at("verdict") == "holds" || c.at("verdict") == "fails" || c.at("verdict") == "not covered") << c;
    ASSERT_EQ(c.at("checks").size(), claims[i].at("checks").size());
    for (const auto& k : c.at("checks")) {
      EXPECT_TRUE(k.at("value").is_number()) << k;
      EXPECT_TRUE(k.at("pass").is_boolean()) << k;
      EXPECT_TRUE(k.at("reason").is_string()) << k;
      if (k.at("measured").is_null()) continue;
      EXPECT_TRUE(k.at("measured").is_number()) << k;
      ASSERT_TRUE(k.at("interval").is_array() && k.at("interval").size() == 2) << k;
      EXPECT_LE(k.at("interval")[0].get<double>(), k.at("measured").get<double>() + 1e-12) << k;
      EXPECT_GE(k.at("interval")[1].get<double>(), k.at("measured").get<double>() - 1e-12) << k;
      EXPECT_TRUE(k.at("compared").is_number()) << k;
      EXPECT_FALSE(k.at("cells").empty()) << k;
      EXPECT_EQ(k.at("pass").get<bool>(), k.at("reason").get<std::string>().empty()) << k;
    }
    if (pass) {
      EXPECT_EQ(c.at("verdict"), "holds") << c;
    }
  }
  ASSERT_EQ(j.at("documents").size(), 1u);
  EXPECT_TRUE(j.at("counts").at("problems").is_number());
}

TEST(Claims, BadClaimCorpusIsRejectedAndGoodClaimsPass) {
  const fs::path corpus = test::fixture("claims");
  int bad = 0, good = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(corpus))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    const json c = read_json_file((dir / "case.json").string());
    const CaseRun run = run_case(dir);
    expect_valid_claims_json(run.out_dir + "/claims.json", dir / "claims.json", c.at("expect") == "pass");
    if (c.at("expect") == "pass") {
      EXPECT_EQ(run.exit_code, 0) << run.output;
      EXPECT_NE(run.output.find("**PASS**"), std::string::npos) << run.output;
      ++good;
    } else {
      EXPECT_EQ(run.exit_code, 1) << run.output;
      for (const auto& reason : c.at("reasons"))
        EXPECT_NE(run.output.find(reason.get<std::string>()), std::string::npos)
            << "expected reason: " << reason << "\noutput:\n" << run.output;
      ++bad;
    }
  }
  EXPECT_GE(bad, 11);
  EXPECT_GE(good, 1);
}

TEST(Claims, PhrasesThatNeedAClaim) {
  auto has = [](const std::string& s) { return !claim_phrases(s).empty(); };
  for (const char* s : {"lossless compression", "No quality loss at all", "3x smaller", "10.7x KV compression",
                        "it is 2 times larger", "+13% faster", "-7% slower", "−6.3% here", "beats fp32",
                        "faster than fp32", "outperforms llama.cpp", "13% faster at long context", "3×",
                        "within 0.1% of fp32", "matches fp32 speed", "near-lossless", "the fastest type", "halves memory"})
    EXPECT_TRUE(has(s)) << s;
  for (const char* s : {"x86_64 builds", "0x1f", "5 runs of 3 timings", "uses 2 threads", "a 5632 x 2048 matrix",
                        "version 1.2.3", "the -k flag", "fp16 keys", "(x 2)", "two halves of 16", "at context 4096"})
    EXPECT_FALSE(has(s)) << s;
}

TEST(Claims, MarkdownSentencesSkipCodeAndKeepLines) {
  const std::string md =
      "# Title\n\nFirst sentence here. Second one [claim: a-b](claims.json) ends.\n"
      "```\nlossless 7x in code\n```\n<!-- a lossless comment -->\n- item with `7x` code\n"
      "| a | 3x |\n|---|---|\ncontinues\non two lines, e.g. like this.\n";
  const auto s = markdown_sentences(md, false);
  ASSERT_GE(s.size(), 6u);
  EXPECT_EQ(s[0].text, "# Title");
  EXPECT_EQ(s[1].text, "First sentence here.");
  EXPECT_EQ(s[2].line, 3);
  ASSERT_EQ(s[2].claims.size(), 1u);
  EXPECT_EQ(s[2].claims[0], "a-b");
  for (const auto& x : s) EXPECT_EQ(x.text.find("lossless"), std::string::npos) << x.text;
  EXPECT_EQ(s[3].text.find("7x"), std::string::npos) << "inline code is not prose";
  EXPECT_EQ(s[4].text, "| a | 3x |");
  EXPECT_EQ(s[4].line, 9);
  EXPECT_EQ(s[5].text, "continues on two lines, e.g. like this.");
  EXPECT_EQ(s[5].line, 11);
  EXPECT_EQ(markdown_sentences(md, true).size(), s.size() - 1) << "tables skipped";
}

TEST(Claims, FileValidationNamesTheJsonPath) {
  const std::string dir = test::temp_dir("claims-bad");
  auto expect_error = [&](const std::string& body, const std::string& message) {
    const std::string f = dir + "/c.json";
    test::write_file(f, R"({"schema": "bench-all.claims", "schema_version": 1, "claims": [)" + body + "]}");
    try {
      load_claims(f);
      ADD_FAILURE() << "accepted: " << body;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"id": "x", "text": "t", "checks": [{"measure": "speed", "select": {}, "op": "<", "value": 1}]})",
               "$.claims[0].checks[0].measure: unknown measure 'speed'");
  expect_error(R"({"id": "x", "text": "t", "checks": [{"measure": "compression", "select": {}, "part": "kv", "vs": "fp32",
                 "bound": "upper", "op": ">", "value": 1}]})",
               "$.claims[0].checks[0].bound: compression is deterministic");
  expect_error(R"({"id": "x", "text": "t", "checks": [{"measure": "ppl", "select": {"kv": "fp8"}, "op": "<", "value": 1}]})",
               "$.claims[0].checks[0].select.kv: unknown KV cache type 'fp8'");
  expect_error(R"({"id": "x", "text": "t", "checks": []})", "$.claims[0].checks: a claim needs at least one check");
  expect_error(R"({"id": "x", "text": "t", "checks": [{"measure": "speed_ratio", "select": {}, "op": ">", "value": 1}]})",
               "$.claims[0].checks[0]: missing required field 'against'");
  expect_error(R"({"id": "Bad Id", "text": "t", "checks": []})", "$.claims[0].id");
}

TEST(Claims, ReleaseNotesTablesMustEqualTheirStoredResults) {
  const std::string root = test::temp_dir("release-lint");
  const std::string results = root + "/reports/release-x/results.json";
  test::write_file(results, test::read_file(test::fixture("results-release-small.json")));
  const ProcessResult made = run_process({BENCH_ALL_BIN, "--root", root, "release-notes", "--version", "0.1.0", "--results",
                                          results}, {}, 60);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string notes = root + "/reports/releases/0.1.0.md";
  const std::string claims = std::string(QUANT_SOURCE_DIR) + "/claims/claims.json";
  auto lint = [&] { return run_process({BENCH_ALL_BIN, "claims", "--claims", claims, "--lint", notes}, {}, 60); };
  const ProcessResult ok = lint();
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;

  // A hand-edited number in a table is caught, with its line.
  std::string text = test::read_file(notes);
  const size_t row = text.find("| fp16 / fp16 |");
  ASSERT_NE(row, std::string::npos);
  const size_t digit = text.find_first_of("0123456789", text.find("|", row + 14));
  text[digit] = text[digit] == '9' ? '8' : static_cast<char>(text[digit] + 1);
  test::write_file(notes, text);
  const ProcessResult edited = lint();
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.out.find("table row differs from a regeneration from"), std::string::npos) << edited.out;

  // A sentence added by hand with claim wording but no claim behind it.
  test::write_file(notes, test::read_file(notes) + "\nThis release is 2x faster than the last one.\n");
  const ProcessResult prose = lint();
  EXPECT_EQ(prose.exit_code, 1);
  EXPECT_NE(prose.out.find("uses claim wording ('2x' (factor), 'faster than' (comparative))"), std::string::npos) << prose.out;

  // Release notes whose results are gone cannot be traced.
  fs::remove(root + "/reports/releases/0.1.0.results.json.gz");
  const ProcessResult orphan = lint();
  EXPECT_EQ(orphan.exit_code, 1);
  EXPECT_NE(orphan.out.find("its numbers cannot be traced to results"), std::string::npos) << orphan.out;
}

TEST(Claims, ReadmeClaimsHoldOnTheStoredPrBaseline) {
  const std::string root = QUANT_SOURCE_DIR;
  const ClaimsFile claims = load_claims(claims_path(root));
  std::vector<BaselineFile> files = list_baselines(root, "pr");
  const BaselineFile* cpu = nullptr;
  for (const auto& f : files)
    if (f.variant == "cpu") cpu = &f;
  if (!cpu) GTEST_SKIP() << "no stored baseline of suite pr for variant cpu under " << root << "/baselines/pr";
  const Results r = load_results(cpu->path);
  for (const auto& v : check_methodology(r)) ADD_FAILURE() << v.rule << ": " << v.message;
  const auto problems = lint_claims(root + "/README.md", read_text(root + "/README.md"), claims, &r);
  for (const auto& p : problems) ADD_FAILURE() << p.text();
  int linked = 0;
  for (const auto& s : markdown_sentences(read_text(root + "/README.md"), false)) linked += !s.claims.empty();
  EXPECT_GE(linked, 2) << "README.md states figures backed by claims";
  for (const auto& c : claims.claims) {
    const ClaimOutcome o = evaluate_claim(c, r);
    bool absent = true;
    for (const auto& ch : o.checks) absent &= ch.absent;
    if (!absent) {
      EXPECT_TRUE(o.pass) << c.id << ": " << (o.reasons.empty() ? "" : o.reasons[0]);
    }
  }
}

}  // namespace
}  // namespace quant::harness
