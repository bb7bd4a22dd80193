// quant-synth: writes a deterministic random-weight GGUF of a real model's shape, so speed can be
// measured at real sizes without downloading anything:
//   quant-synth --preset tinyllama-1.1b --type Q4_K_M -o /tmp/tinyllama-q4_k_m.gguf
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "quant/build_info.h"
#include "quant/error.h"
#include "quant/gguf.h"
#include "quant/synthetic_model.h"
#include "../tool_cli.h"

namespace {

[[noreturn]] void usage_error(const std::string& msg) { quant::tool::usage_error("quant-synth", msg); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quant-synth: deterministic random-weight GGUF models of real shapes"};
  app.set_version_flag("--version", quant::version_text("quant-synth"), "Show the version, commit, build type and options");
  std::string preset, type, out;
  uint64_t seed = 1;
  int layers = 0, ctx = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool json = false;
  app.add_option("--preset", preset, "shape: " + join(quant::synthetic_preset_names()))->required();
  app.add_option("--type", type, "weight type: " + join(quant::synthetic_weight_type_names()))->required();
  app.add_option("-o,--output", out, "GGUF file to write (replaced atomically)")->required();
  app.add_option("--seed", seed, "random seed (same seed, same bytes)");
  app.add_option("--layers", layers, "override the preset's layer count (smaller test models)")->check(CLI::Range(1, 4096));
  app.add_option("--ctx", ctx, "override the context_length written")->check(CLI::Range(1, 1 << 24));
  app.add_option("-t,--threads", threads, "generation threads (the output does not depend on it)")->check(CLI::Range(1, 1024));
  app.add_flag("--json", json, "print one JSON object on stdout");
  quant::tool::parse_or_exit(app, argc, argv, "quant-synth");

  if (!quant::synthetic_preset(preset))
    usage_error("--preset: unknown preset '" + preset + "' (valid: " + join(quant::synthetic_preset_names()) + ")");
  if (!quant::synthetic_weight_type(type))
    usage_error("--type: unknown weight type '" + type + "' (valid: " + join(quant::synthetic_weight_type_names()) + ")");
  auto spec = quant::synthetic_spec(preset, type, layers, ctx, seed);
  spec->threads = threads;

  try {
    const auto t0 = std::chrono::steady_clock::now();
    quant::make_synthetic_model(*spec).write(out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Read the file back: what is reported is what was written.
    auto f = quant::GgufFile::open(out);
    std::map<std::string, int> counts;
    uint64_t matmul_bytes = 0, params = 0;
    for (const auto& t : f->tensors()) {
      counts[std::string(quant::ggml_type_name(t.type))]++;
      params += t.n_elements;
      // Bytes a decoded token reads: every 2-D weight except a separate token embedding (one row).
      const bool embedding_only = t.name == "token_embd.weight" && !spec->tied_embeddings;
      if (t.dims.size() == 2 && !embedding_only) matmul_bytes += t.n_bytes;
    }
    const uint64_t size = std::filesystem::file_size(out);
    std::string types;
    for (const auto& [k, v] : counts) types += (types.empty() ? "" : ", ") + k + " x" + std::to_string(v);
    FILE* o = json ? stderr : stdout;
    std::fprintf(o, "%s: %s, %.1f M parameters, %.3f GB (%s), weights read per token %.3f GB, %.1f s\n",
                 out.c_str(), spec->name.c_str(), params / 1e6, size / 1e9, types.c_str(), matmul_bytes / 1e9, seconds);
    if (json) {
      nlohmann::json j = {{"schema", "quant.synth"},
                          {"schema_version", 1},
                          {"path", out},
                          {"preset", preset},
                          {"type", type},
                          {"seed", seed},
                          {"generator_version", quant::kSyntheticGeneratorVersion},
                          {"n_layer", spec->n_layer},
                          {"n_params", params},
                          {"size_bytes", size},
                          {"weight_bytes_per_token", matmul_bytes},
                          {"tensor_types", counts},
                          {"seconds", seconds}};
      std::printf("%s\n", j.dump(2).c_str());
    }
  } catch (const quant::InputError& e) {
    std::fprintf(stderr, "quant-synth: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant-synth: error: %s: %s\n", out.c_str(), e.what());
    return 1;
  }
  return 0;
}
