// Feeds arbitrary bytes to every JSON reader of bench-all (results and baselines, suites, variants,
// claims, thresholds, journals) and, for results it accepts, to the analysis and the report: the only
// acceptable outcomes are success or InputError, a one-line error naming the file. The first byte picks
// the reader; seeds/ holds a valid file of each kind.
//
// Every input runs in a folder of its own, made for it and removed after it, and nothing is cached between
// inputs: a crash then reproduces from its saved input alone. (The journal reader rewrites its file, so a
// shared folder would let one input's leftovers shape the next.) HARNESS_FUZZ_VERBOSE=1 prints each
// input's error, for reading what a saved input does.
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/claims/claims.h"
#include "harness/judge/thresholds.h"
#include "harness/plan/suite.h"
#include "harness/plan/variants.h"
#include "harness/report/report.h"
#include "harness/stats/analysis.h"
#include "harness/store/results.h"
#include "harness/sweep/journal.h"
#include "quant/error.h"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "harness_json_fuzzer: %s\n", what.c_str());
  std::abort();
}

// A new empty folder for one input; removed by ~Scratch unless the input crashed the process.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/harness-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) fail(std::string("cannot make a scratch folder: ") + std::strerror(errno));
    dir_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string file(const char* name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

void write(const std::string& path, const void* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot write " + path + ": " + std::strerror(errno));
  const bool ok = (size == 0 || std::fwrite(data, 1, size, f) == size) && std::fclose(f) == 0;
  if (!ok) fail("cannot write " + path);
}

// The variants a suite is checked against, written for each input (no cache shared between inputs).
quant::harness::VariantSet default_variants(const Scratch& s) {
  const std::string p = s.file("variants.json");
  const std::string text = R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
    {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "OFF"}},
    {"name": "vulkan", "backend": "vulkan", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "ON"}}]})";
  write(p, text.data(), text.size());
  return quant::harness::load_variants(p);
}

void read_as(int kind, const std::string& path, const Scratch& s) {
  using namespace quant::harness;
  switch (kind) {
    case 0: {
      const Results r = load_results(path);
      const Analysis a = analyze(r);
      (void)render_report(r, a);
      break;
    }
    case 1: (void)load_suite(path, default_variants(s)); break;
    case 2: (void)load_variants(path); break;
    case 3: (void)load_claims(path); break;
    case 4: (void)load_thresholds(path); break;
    case 5: {
      JournalHeader h;
      std::vector<quant::harness::RunRecord> runs;
      (void)Journal::reopen(path, h, runs);
      break;
    }
  }
}

// The project's rule for bad input: one line that names the file.
void check_error(const std::string& path, const std::string& message) {
  if (std::getenv("HARNESS_FUZZ_VERBOSE")) std::fprintf(stderr, "InputError: %s\n", message.c_str());
  if (message.rfind(path, 0) != 0) fail("an InputError that does not name the file: " + message);
  if (message.find('\n') != std::string::npos) fail("an InputError of more than one line: " + message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Scratch scratch;
  const std::string path = scratch.file("input.json");
  write(path, data + 1, size - 1);
  try {
    read_as(data[0] % 6, path, scratch);
  } catch (const quant::InputError& e) {
    check_error(path, e.what());
  }
  return 0;
}
