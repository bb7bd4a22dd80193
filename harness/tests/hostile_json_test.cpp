// bench-all's readers and writers against hostile files (issue 22, items 3, 5, 6, 7): nesting and size
// bounds, names that would become paths outside the project, malformed samples, write errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness/store/results.h"
#include "faults_test_support.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::contains;
using test::error_of;

// Item 3: nesting and size are bounded before parsing; no recursion on hostile input.
TEST(Faults, DeeplyNestedJsonIsAnErrorNotACrash) {
  const std::string dir = test::temp_dir("deep");
  const std::string deep = R"({"schema":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  test::write_file(dir + "/deep.json", deep);
  const std::string e = error_of([&] { read_json_file(dir + "/deep.json"); });
  EXPECT_EQ(e, dir + "/deep.json: nested deeper than 64 levels");
  EXPECT_TRUE(contains(error_of([&] { load_results(dir + "/deep.json"); }), "nested deeper"));
  EXPECT_TRUE(json_depth_within(R"({"a": "[[[[[[[[[[", "b": [1, {"c": "\"[[["}]})", 3));
  EXPECT_FALSE(json_depth_within("[[[[", 3));
  EXPECT_TRUE(contains(error_of([&] { read_json_file(dir); }), "not a regular file (a folder)"));
  test::write_file(dir + "/huge-number.json", R"({"x": 1e400})");
  EXPECT_TRUE(contains(error_of([&] { read_json_file(dir + "/huge-number.json"); }), "not valid JSON"));
}

TEST(Faults, DeeplyNestedInputsThroughTheCommandLine) {
  const std::string dir = test::temp_dir("deep-cli");
  const std::string deep = R"({"schema":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  test::write_file(dir + "/deep.json", deep);
  test::write_file(dir + "/suite.json", R"({"schema": "bench-all.suite", "schema_version": 1, "name": )" +
                                            std::string(100000, '[') + std::string(100000, ']') + "}");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"report", dir + "/deep.json", "--no-plots"}, {"compare", dir + "/deep.json"},
        {"baseline", "update", dir + "/deep.json"}, {"merge", "--out", dir + "/m", dir + "/deep.json"},
        {"plan", "--suite", dir + "/suite.json"}}) {
    std::vector<std::string> argv = {BENCH_ALL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv, {}, 60);
    EXPECT_EQ(r.signal, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "nested deeper than 64 levels")) << args[0] << ": " << r.err;
    EXPECT_FALSE(contains(r.err, "internal error")) << r.err;
  }
}

// Item 5: names that become paths are plain names.
TEST(Faults, NamesThatWouldLeaveTheirFolderAreRefused) {
  for (const char* bad : {"..", ".", "../../tmp/x", "a/b", "", ".hidden", "a b", "x\\y"}) EXPECT_FALSE(is_plain_name(bad)) << bad;
  for (const char* good : {"pr", "release-0.2", "turbo_kv_4b", "Llama-3.2-1B"}) EXPECT_TRUE(is_plain_name(good)) << good;
  const std::string dir = test::temp_dir("names");
  json r = json::parse(test::read_file(test::fixture("results-release-small.json")));
  r["run"]["suite"]["name"] = "../../../../tmp/x";
  test::write_file(dir + "/suite.json", r.dump());
  EXPECT_TRUE(contains(error_of([&] { load_results(dir + "/suite.json"); }), "$.run.suite.name: expected a plain name"));
  r = json::parse(test::read_file(test::fixture("results-release-small.json")));
  r["variants"][0]["name"] = "../escape";
  test::write_file(dir + "/variant.json", r.dump());
  EXPECT_TRUE(contains(error_of([&] { load_results(dir + "/variant.json"); }), "$.variants[0].name: expected a plain name"));
  r = json::parse(test::read_file(test::fixture("results-release-small.json")));
  r["models"][0]["name"] = "../m";
  test::write_file(dir + "/model.json", r.dump());
  EXPECT_TRUE(contains(error_of([&] { load_results(dir + "/model.json"); }), "$.models[0].name: expected a plain name"));

  // A suite named ".." does not pass validation; a release version with ../ is a command-line error.
  const auto p = test::make_fake_project("names-suite", {{"name", ".."}});
  const ProcessResult v = run_process({BENCH_ALL_BIN, "--root", p.root, "validate", "--variants", p.variants_file, p.suite_file}, {}, 60);
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_TRUE(contains(v.err, "$.name: expected a plain name")) << v.err;
  const ProcessResult rel = run_process({BENCH_ALL_BIN, "--root", p.root, "release-notes", "--version", "../../x"}, {}, 60);
  EXPECT_EQ(rel.exit_code, 2);
  EXPECT_TRUE(contains(rel.err, "--version: '../../x' is not a version name")) << rel.err;
  EXPECT_FALSE(fs::exists(p.root + "/x.md"));
}

// Item 6: every sample a results file carries is checked when read.
TEST(Faults, MalformedSamplesAreRefusedWithTheirJsonPath) {
  const std::string dir = test::temp_dir("samples");
  const json good = json::parse(test::read_file(test::fixture("results-release-small.json")));
  struct Case {
    std::string what, pointer;
    json value;
    std::string expect;
  };
  // cells[0]: a ppl cell with kld (1 run); cells[6]: a speed cell (1 warm-up + 3 runs, 3 inner reps).
  const std::vector<Case> cases = {
      {"missing ppl", "/cells/0/runs/0/sample/ppl", nullptr, "$.cells[0].runs[0].sample: missing required field 'ppl'"},
      {"ppl as string", "/cells/0/runs/0/sample/ppl", "6.1", "$.cells[0].runs[0].sample.ppl: expected a number"},
      {"negative ppl", "/cells/0/runs/0/sample/ppl", -3.0, "$.cells[0].runs[0].sample.ppl: expected a number in 0"},
      {"zero ppl", "/cells/0/runs/0/sample/ppl", 0.0, "expected a positive perplexity"},
      {"missing kld", "/cells/0/runs/0/sample/kld", nullptr, "sample: missing required field 'kld'"},
      {"top1 above 1", "/cells/0/runs/0/sample/kld/top1_agreement", 1.5, "sample.kld.top1_agreement: expected a number in 0..1"},
      {"missing tok/s", "/cells/6/runs/1/sample/tg_tok_s", nullptr, "$.cells[6].runs[1].sample: missing required field 'tg_tok_s'"},
      {"zero tok/s", "/cells/6/runs/1/sample/tg_tok_s/0", 0.0, "$.cells[6].runs[1].sample.tg_tok_s[0]: expected a positive number"},
      {"empty tok/s", "/cells/6/runs/1/sample/pp_tok_s", json::array(), "sample.pp_tok_s: expected 3 values"},
      {"unknown k_type", "/cells/6/k_type", "turbo_kv_9b", "$.cells[6].k_type: unknown KV cache type"},
      {"bad engine.kv", "/cells/6/engine/kv", "fast", "$.cells[6].engine.kv: expected an object"},
      {"string kv bytes", "/cells/6/engine/kv/k_bytes_per_token", "many", "$.cells[6].engine.kv.k_bytes_per_token: expected a number"},
  };
  for (const auto& c : cases) {
    json doc = good;
    const json::json_pointer ptr(c.pointer);
    if (c.value.is_null()) doc[ptr.parent_pointer()].erase(ptr.back());
    else doc[ptr] = c.value;
    const std::string file = dir + "/case.json";
    test::write_file(file, doc.dump());
    const std::string e = error_of([&] { load_results(file); });
    EXPECT_EQ(e.rfind(file + ": ", 0), 0u) << c.what << ": " << e;
    EXPECT_TRUE(contains(e, c.expect)) << c.what << ": " << e;
  }
  // 50 runs in a cell of reps 3 + warmup 1.
  json many = good;
  for (int i = 4; i < 50; ++i) {
    json run = many["cells"][6]["runs"][3];
    run["index"] = i;
    many["cells"][6]["runs"].push_back(run);
  }
  test::write_file(dir + "/many.json", many.dump());
  EXPECT_TRUE(contains(error_of([&] { load_results(dir + "/many.json"); }), "$.cells[6].runs: 50 runs, more than the cell's 4"));
  // A number too large for a double.
  std::string text = good.dump();
  const std::string ppl_key = "\"ppl\":";
  text.replace(text.find(ppl_key), ppl_key.size(), "\"ppl\":1e400,\"x\":");
  test::write_file(dir + "/inf.json", text);
  const std::string inf = error_of([&] { load_results(dir + "/inf.json"); });
  EXPECT_TRUE(contains(inf, dir + "/inf.json: not valid JSON")) << inf;
  // No cells: compare has nothing to judge, which is not a PASS.
  json empty = good;
  empty["cells"] = json::array();
  test::write_file(dir + "/empty.json", empty.dump());
  const ProcessResult cmp = run_process({BENCH_ALL_BIN, "compare", dir + "/empty.json"}, {}, 60);
  EXPECT_EQ(cmp.exit_code, 1);
  EXPECT_TRUE(contains(cmp.err, "$.cells: no cells, nothing to compare")) << cmp.err;
}

// "internal error" never answers bad input: report --check on a results file without its analysis.
TEST(Faults, ReportCheckNamesAMissingAnalysis) {
  const std::string dir = test::temp_dir("no-analysis");
  json doc = json::parse(test::read_file(test::fixture("results-release-small.json")));
  test::write_file(dir + "/results.json", doc.dump());
  ASSERT_EQ(run_process({BENCH_ALL_BIN, "report", dir + "/results.json", "--no-plots"}, {}, 60).exit_code, 0);
  doc.erase("analysis");
  test::write_file(dir + "/results.json", doc.dump());
  const ProcessResult r = run_process({BENCH_ALL_BIN, "report", dir + "/results.json", "--check"}, {}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "bench-all: error: " + dir + "/results.json: $: missing required field 'analysis'\n");
}

// Item 7: a write error removes the temporaries and keeps the previous complete set.
TEST(Faults, AFullDiskKeepsThePreviousOutputs) {
  const std::string dir = test::temp_dir("full");
  write_text_files({{dir + "/a.txt", "old a"}, {dir + "/b.txt", "old b"}});
  fs::create_symlink("/dev/full", dir + "/b.txt.tmp");  // writing there fails with ENOSPC
  const std::string e = error_of([&] { write_text_files({{dir + "/a.txt", "new a"}, {dir + "/b.txt", "new b"}}); });
  EXPECT_EQ(e, dir + "/b.txt: write error: No space left on device");
  EXPECT_EQ(test::read_file(dir + "/a.txt"), "old a");
  EXPECT_EQ(test::read_file(dir + "/b.txt"), "old b");
  EXPECT_FALSE(fs::exists(dir + "/a.txt.tmp"));
  EXPECT_FALSE(fs::is_symlink(dir + "/b.txt.tmp"));
  // A folder where the file should go: the reason is named, nothing is left behind.
  fs::create_directories(dir + "/c.txt");
  EXPECT_TRUE(contains(error_of([&] { write_text_file(dir + "/c.txt", "x"); }), dir + "/c.txt: cannot move"));
  EXPECT_FALSE(fs::exists(dir + "/c.txt.tmp"));
}


}  // namespace
}  // namespace quant::harness
