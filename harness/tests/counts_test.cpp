// Count cells: callgrind's dumps become instructions and simulated LL misses per token; compare judges
// them with a plain tolerance (fires on 1% more instructions, silent on identical counts, cannot decide
// across different provenance); runs with the test-only extra work never become baselines or figures.
// The last test runs the real engine under Valgrind on stories260K (skipped without Valgrind, the
// shared model, or when this build uses instructions Valgrind cannot run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "harness/store/baseline.h"
#include "harness/judge/count_gate.h"
#include "harness/measure/counts.h"
#include "harness/judge/methodology.h"
#include "harness_test_support.h"
#include "gate_test_support.h"
#include "quant/error.h"
#include "quant/sha256.h"
#include "shared_data.h"

namespace quant::harness {
namespace {

VariantResult variant_result(const char* name, bool is_default) {
  VariantResult v;
  v.variant.name = name;
  v.variant.is_default = is_default;
  v.variant.backend = "cpu";
  v.variant.build_type = "Release";
  v.variant.build_dir = "b";
  return v;
}

namespace fs = std::filesystem;
using nlohmann::json;

std::string dump_text(const std::string& trigger, double ir, double ilmr, double dlmr, double dlmw) {
  return "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 1\ncmd: quant\npart: 1\n\n"
         "desc: Trigger: " + trigger + "\n\npositions: line\nevents: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: " +
         std::to_string(ir) + " 0 0 0 0 0 " + std::to_string(ilmr) + " " + std::to_string(dlmr) + " " +
         std::to_string(dlmw) + "\n\nfl=(1) x.cpp\nfn=(1) f\n1 5\n\ntotals: " +
         std::to_string(ir) + " 0 0 0 0 0 " + std::to_string(ilmr) + " " + std::to_string(dlmr) + " " +
         std::to_string(dlmw) + "\n";
}

TEST(Counts, ReadsCallgrindDumpsByPart) {
  const std::string dir = test::temp_dir("counts-dumps");
  test::write_file(dir + "/callgrind.out.1", dump_text("Client Request: pp", 32000, 10, 20, 30));
  test::write_file(dir + "/callgrind.out.2", dump_text("Client Request: tg", 16000, 1, 2, 3));
  test::write_file(dir + "/callgrind.out", dump_text("Program termination", 0, 0, 0, 0));
  test::write_file(dir + "/unrelated.txt", "x");
  const auto d = read_callgrind_dumps(dir + "/callgrind.out");
  ASSERT_EQ(d.size(), 3u);
  int pp = 0, tg = 0;
  for (const auto& x : d) {
    if (x.part == "pp") {
      ++pp;
      EXPECT_EQ(x.events.at("Ir"), 32000);
      EXPECT_EQ(x.events.at("DLmw"), 30);
    }
    if (x.part == "tg") {
      ++tg;
      EXPECT_EQ(x.events.at("Ir"), 16000);
    }
  }
  EXPECT_EQ(pp, 1);
  EXPECT_EQ(tg, 1);
  test::write_file(dir + "/callgrind.out.3", "not callgrind\n");
  EXPECT_THROW(read_callgrind_dumps(dir + "/callgrind.out"), InputError);
}

json counter(const std::string& kernels = "avx2") {
  return {{"tool", "callgrind"}, {"valgrind", "valgrind-3.19.0"}, {"cache", "I1=a D1=b LL=c"}, {"kernels", kernels},
          {"threads", 1}, {"compiler", "GNU 12.2.0"}, {"cxx_flags", "-O3"}};
}

CellResult count_cell(double tg_instr, double tg_ll, const json& ctr = counter(), double extra = 0) {
  CellResult c;
  c.cell.metric = Metric::counts;
  c.cell.variant = "counts";
  c.cell.model = "m";
  c.cell.kv = {"fp32", "fp32"};
  c.cell.n_prompt = 0;
  c.cell.n_gen = 16;
  c.cell.inner_reps = 1;
  c.cell.id = cell_id(c.cell);
  c.status = "ok";
  c.engine = {{"build", {{"build_type", "Release"}}}, {"backend", {{"used", "cpu"}}}};
  RunRecord r;
  r.cell = c.cell.id;
  r.status = "ok";
  r.sample = {{"tg_instr_per_token", tg_instr}, {"tg_ll_miss_per_token", tg_ll}, {"counter", ctr},
              {"test_extra_work", extra}, {"n_gen", 16}, {"depth", 0}, {"max_tokens_in_cache", 16}};
  c.runs.push_back(r);
  return c;
}

Verdict verdict_of(const std::vector<Check>& checks, const std::string& measure) {
  for (const auto& c : checks)
    if (c.measure == measure) return c.decision.verdict;
  return Verdict::inconclusive;
}

TEST(Counts, PlainToleranceFiresOnOnePercentAndIsSilentOnIdentical) {
  const Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);
  ASSERT_DOUBLE_EQ(t.counts.instr, 0.01) << "baselines/thresholds.json: 1% more instructions per token is a regression";
  const CellResult base = count_cell(1e6, 500);
  const auto same = judge_counts("counts", base, count_cell(1e6, 500), t);
  ASSERT_EQ(same.size(), 2u);
  for (const auto& c : same) EXPECT_EQ(c.decision.verdict, Verdict::unchanged) << c.decision.why;
  EXPECT_EQ(verdict_of(judge_counts("counts", base, count_cell(1.01e6, 500), t), "tg_instr_per_token"),
            Verdict::regression);
  EXPECT_EQ(verdict_of(judge_counts("counts", base, count_cell(1.005e6, 500), t), "tg_instr_per_token"),
            Verdict::unchanged);
  EXPECT_EQ(verdict_of(judge_counts("counts", base, count_cell(0.98e6, 500), t), "tg_instr_per_token"),
            Verdict::improvement);
  EXPECT_EQ(verdict_of(judge_counts("counts", base, count_cell(1e6, 600), t), "tg_ll_miss_per_token"),
            Verdict::regression);
  // A model that fits the simulated LL: a change below one miss per token is not judged.
  EXPECT_EQ(verdict_of(judge_counts("counts", count_cell(1e6, 0.1), count_cell(1e6, 0.5), t), "tg_ll_miss_per_token"),
            Verdict::unchanged);
  // Another kernel set (or Valgrind, compiler, flags): not comparable, so the gate cannot decide.
  const auto other = judge_counts("counts", base, count_cell(1e6, 500, counter("scalar")), t);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].decision.verdict, Verdict::cannot_decide);
  EXPECT_NE(other[0].decision.why.find("kernels avx2 vs scalar"), std::string::npos) << other[0].decision.why;
}

TEST(Counts, CompareJudgesCountCellsAgainstABaseline) {
  Results base, cur;
  for (Results* r : {&base, &cur}) {
    r->suite_name = "s";
    r->variants.push_back(variant_result("counts", false));
    r->variants.push_back(variant_result("cpu", true));
  }
  base.cells.push_back(count_cell(2e6, 100));
  cur.cells.push_back(count_cell(2.03e6, 100));
  BaselineUse bu{"counts", "f", "run", {"CPU X", "Linux x86_64", 2}, false, true};
  const GateReport g = compare_results(cur, {{bu, base}}, test::fixed_thresholds(0.1, 0.1, 0.1));
  EXPECT_TRUE(g.failed()) << render_gate_markdown(g);
  EXPECT_EQ(g.outcome(), "fail");
  cur.cells[0] = count_cell(2e6, 100);
  const GateReport same = compare_results(cur, {{bu, base}}, test::fixed_thresholds(0.1, 0.1, 0.1));
  EXPECT_EQ(same.outcome(), "pass") << render_gate_markdown(same);
  EXPECT_NE(render_gate_markdown(same).find("instructions per token under Valgrind"), std::string::npos);
}

TEST(Counts, ExtraWorkIsRefusedInBaselinesAndFigures) {
  Results r;
  r.suite_name = "s";
  r.run_id = "run";
  r.system = {{"cpu_model", "CPU X"}, {"n_cores", 2}, {"os", "Linux 6 x86_64"}};
  r.variants.push_back(variant_result("cpu", true));
  r.variants.push_back(variant_result("counts", false));
  r.cells.push_back(count_cell(1e6, 1, counter(), 10000));
  std::ostringstream log;
  try {
    update_baseline(r, test::temp_dir("counts-refuse"), log);
    FAIL() << "a run with QUANT_TEST_EXTRA_WORK became a baseline";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("QUANT_TEST_EXTRA_WORK"), std::string::npos) << e.what();
  }
  bool flagged = false;
  for (const auto& v : check_methodology(r)) flagged |= v.message.find("QUANT_TEST_EXTRA_WORK") != std::string::npos;
  EXPECT_TRUE(flagged);
}

// The real engine under callgrind: counts repeat exactly, and QUANT_TEST_EXTRA_WORK of 1% of the
// instructions per token is flagged.
TEST(Counts, RealEngineCountsRepeatAndOnePercentExtraWorkIsFlagged) {
  if (valgrind_version().empty()) GTEST_SKIP() << "valgrind is not installed (scripts/setup installs it)";
  const std::string shared = ::quant::test::shared_dir();
  if (::quant::test::shared_file("models/stories260K.gguf").empty())
    END_TEST_MISSING_SHARED(shared + "/models/stories260K.gguf");
  Inputs in;
  Resource m;
  m.name = "stories260K";
  m.file = "stories260K.gguf";
  m.path = shared + "/models/stories260K.gguf";
  m.sha256 = sha256_file(m.path);
  in.models.push_back(m);
  Cell c;
  c.metric = Metric::counts;
  c.variant = "test";
  c.model = m.name;
  c.kv = {"q8_0", "q8_0"};
  c.n_prompt = 16;
  c.n_gen = 8;
  c.depth = 32;
  c.inner_reps = 1;
  c.threads = 1;
  c.timeout_s = 300;
  c.id = cell_id(c);
  Variant v;  // the test binary as it is (the suite's count variant demands fixed flags; this test compares it with itself)
  v.name = "test";
  v.backend = "cpu";
  v.build_type = "Release";
  v.env = {{"QUANT_ISA", "avx2"}};
  // The fixed-flag build of the count variant when it exists (it runs on any AVX2 host), else this build.
  std::string binary = std::string(QUANT_SOURCE_DIR) + "/build-counts/engine/quant";
  if (const char* b = std::getenv("QUANT_COUNTS_BIN"); b && *b) binary = b;
  if (!fs::exists(binary)) binary = QUANT_BIN;
  auto run = [&](uint64_t extra) {
    test::ScopedEnv e("QUANT_TEST_EXTRA_WORK", std::to_string(extra));
    CellResult cr;
    cr.cell = c;
    cr.runs.push_back(run_count(c, 0, v, binary, in, "now"));
    cr.status = cr.runs[0].ok() ? "ok" : "error";
    return cr;
  };
  const CellResult a = run(0);
  if (!a.ok() && (a.runs[0].stderr_tail.find("unhandled instruction") != std::string::npos ||
                  a.runs[0].stderr_tail.find("SIGILL") != std::string::npos))
    GTEST_SKIP() << binary << " uses instructions Valgrind cannot run (-march=native on an AVX-512 host?); the "
                    "count variant's fixed-flag build can (build-counts/, or QUANT_COUNTS_BIN): " << a.runs[0].error;
  ASSERT_TRUE(a.ok()) << a.runs[0].error << "\n" << a.runs[0].stderr_tail;
  const json& s = a.runs[0].sample;
  EXPECT_EQ(s.at("counter").at("kernels"), "avx2");
  EXPECT_GT(s.at("tg_instr_per_token").get<double>(), 1000);
  EXPECT_GT(s.at("pp_instr_per_token").get<double>(), 1000);
  const CellResult b = run(0);
  ASSERT_TRUE(b.ok()) << b.runs[0].error;
  const Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);
  for (const auto& x : judge_counts("test", a, b, t))
    EXPECT_EQ(x.decision.verdict, Verdict::unchanged) << x.measure << ": " << x.decision.why;
  // About 1% of the larger per-token count (the extra work is the same per token in pp and tg).
  const double per_token = std::max(s.at("tg_instr_per_token").get<double>(), s.at("pp_instr_per_token").get<double>());
  const CellResult slow = run(static_cast<uint64_t>(std::ceil(per_token * t.counts.instr)));
  ASSERT_TRUE(slow.ok()) << slow.runs[0].error;
  EXPECT_EQ(verdict_of(judge_counts("test", a, slow, t), "tg_instr_per_token"), Verdict::regression);
  EXPECT_EQ(verdict_of(judge_counts("test", a, slow, t), "pp_instr_per_token"), Verdict::regression);
}

}  // namespace
}  // namespace quant::harness
