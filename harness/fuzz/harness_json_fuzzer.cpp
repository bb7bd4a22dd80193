// Feeds arbitrary bytes to every JSON reader of bench-all (results and baselines, suites, variants,
// claims, thresholds, journals) and, for results it accepts, to the analysis and the report: the only
// acceptable outcomes are success or InputError (a one-line error naming the file). The first byte
// picks the reader; seeds/ holds a valid file of each kind.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/claims/claims.h"
#include "harness/sweep/journal.h"
#include "harness/report/report.h"
#include "harness/store/results.h"
#include "harness/plan/suite.h"
#include "harness/judge/thresholds.h"
#include "harness/plan/variants.h"
#include "quant/error.h"

namespace {

const std::string& scratch() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/harness-fuzz-XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  return dir;
}

void write(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
}

const quant::harness::VariantSet& default_variants() {
  static const quant::harness::VariantSet v = [] {
    const std::string p = scratch() + "/variants.json";
    const std::string text = R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
      {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "OFF"}},
      {"name": "vulkan", "backend": "vulkan", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "ON"}}]})";
    write(p, reinterpret_cast<const uint8_t*>(text.data()), text.size());
    return quant::harness::load_variants(p);
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quant::harness;
  if (size == 0) return 0;
  const int kind = data[0] % 6;
  const std::string path = scratch() + "/input.json";
  write(path, data + 1, size - 1);
  try {
    switch (kind) {
      case 0: {
        const Results r = load_results(path);
        const Analysis a = analyze(r);
        (void)render_report(r, a);
        break;
      }
      case 1: (void)load_suite(path, default_variants()); break;
      case 2: (void)load_variants(path); break;
      case 3: (void)load_claims(path); break;
      case 4: (void)load_thresholds(path); break;
      case 5: {
        JournalHeader h;
        std::vector<RunRecord> runs;
        (void)Journal::reopen(path, h, runs);
        break;
      }
    }
  } catch (const quant::InputError&) {
  }
  return 0;
}
