#include "harness/plan/inputs.h"

#include <unistd.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "harness/util/json_check.h"
#include "harness/util/paths.h"
#include "quant/error.h"
#include "quant/sha256.h"
#include "quant/synthetic_model.h"

namespace quant::harness {

namespace fs = std::filesystem;

const Resource* Inputs::model(const std::string& name) const {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

const Resource* Inputs::text(const std::string& name) const {
  for (const auto& t : texts)
    if (t.name == name) return &t;
  return nullptr;
}

bool Inputs::any_synthetic() const {
  for (const auto& m : models)
    if (m.synthetic && m.found()) return true;
  return false;
}

std::string write_synthetic_model(const std::string& dir) {
  // Shaped like a small real model, with head_dim 32 so block-based KV types (blocks of 32) apply.
  SyntheticSpec spec;
  spec.name = kSyntheticModelName;
  spec.n_embd = 128;
  spec.n_layer = 4;
  spec.n_head = 4;
  spec.n_head_kv = 2;
  spec.n_ff = 384;
  spec.n_vocab = 512;
  spec.seed = 20240501;
  const std::string path = (fs::path(dir) / "synthetic-llama.gguf").string();
  fs::create_directories(dir);
  make_synthetic_model(spec).write(path);
  return path;
}

std::string write_synthetic_text(const std::string& dir) {
  // Seeded word salad: enough tokens for perplexity chunks; its PPL means nothing, its KLD still does.
  static const char* words[] = {"the", "a", "little", "dog", "ran", "to", "park", "and", "saw", "big", "red",
                                "ball", "she", "he", "was", "happy", "sun", "tree", "friend", "played", "with",
                                "one", "day", "home", "cat", "jumped", "over", "fence", "said", "hello"};
  std::mt19937_64 rng(7);
  std::string text;
  while (text.size() < 60000) {
    const int n = 5 + static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) {
      std::string w = words[rng() % (sizeof words / sizeof *words)];
      if (i == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      text += (i ? " " : "") + w;
    }
    text += rng() % 4 == 0 ? ".\n" : ". ";
  }
  const std::string path = (fs::path(dir) / "synthetic-text.txt").string();
  write_text_file(path, text);
  return path;
}

std::string synth_cache_key(const SynthModel& m) {
  std::ostringstream k;
  k << "generator quant-synth " << kSyntheticGeneratorVersion << "\npreset " << m.preset << "\ntype " << m.type
    << "\nlayers " << m.layers << "\nctx " << m.ctx << "\nseed " << m.seed << "\n";
  return sha256_hex(k.str());
}

std::string synth_cache_path(const SynthModel& m, const std::string& root) {
  return (fs::path(root) / ".cache" / "models" / (m.preset + "-" + m.type + "-" + synth_cache_key(m).substr(0, 16) + ".gguf"))
      .string();
}

std::string synth_command(const SynthModel& m) {
  std::ostringstream c;
  c << "quant-synth --preset " << m.preset << " --type " << m.type;
  if (m.layers) c << " --layers " << m.layers;
  if (m.ctx) c << " --ctx " << m.ctx;
  c << " --seed " << m.seed << " (generator version " << kSyntheticGeneratorVersion << ")";
  return c.str();
}

std::string generate_model(const SynthModel& m, const std::string& root, std::ostream& log) {
  const std::string path = synth_cache_path(m, root);
  if (fs::exists(path)) return path;
  auto spec = synthetic_spec(m.preset, m.type, m.layers, m.ctx, m.seed);
  if (!spec) throw InputError("generated model: unknown preset '" + m.preset + "' or type '" + m.type + "'");
  spec->threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  log << "bench-all: generating " << path << ": " << synth_command(m) << "\n";
  log.flush();
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) throw InputError(fs::path(path).parent_path().string() + ": cannot create the model cache: " + ec.message());
  // A name of this process's own, renamed into place: shards generating the same model at once each
  // write whole files of the same bytes.
  const std::string part = path + "." + std::to_string(getpid()) + ".part";
  make_synthetic_model(*spec).write(part);
  fs::rename(part, path, ec);
  if (ec) {
    fs::remove(part);
    throw InputError(path + ": cannot move the generated model into place: " + ec.message());
  }
  return path;
}

namespace {

Resource resolve(const SuiteFile& f, const std::vector<std::string>& dirs) {
  Resource r{f.name, f.file, "", {}, "", false, ""};
  const Located l = locate(f.file, dirs);
  r.searched = l.searched;
  r.path = l.path;
  if (r.found()) r.sha256 = sha256_file(r.path);
  return r;
}

}  // namespace

Inputs resolve_inputs(const Suite& suite, const std::string& root, std::ostream& log, bool generate) {
  Inputs in;
  const auto model_dirs = model_search_path(root), text_dirs = text_search_path(root);
  bool any_model = false, any_text = false;
  for (const auto& m : suite.models) {
    if (m.synth) {
      Resource r{m.name, "", "", {synth_cache_path(*m.synth, root)}, "", true, synth_command(*m.synth)};
      r.file = fs::path(r.searched[0]).filename().string();
      r.path = generate || fs::exists(r.searched[0]) ? generate_model(*m.synth, root, log) : "";
      if (r.found()) r.sha256 = sha256_file(r.path);
      else log << "bench-all: model " << r.name << " is not generated yet (" << r.searched[0] << ")\n";
      in.models.push_back(r);
      any_model = true;  // a generated model is never missing when it is needed
      continue;
    }
    in.models.push_back(resolve(m, model_dirs));
    any_model |= in.models.back().found();
  }
  for (const auto& t : suite.texts) {
    in.texts.push_back(resolve(t, text_dirs));
    any_text |= in.texts.back().found();
  }
  for (const auto& r : in.models)
    if (!r.found() && r.generated_by.empty()) log << "bench-all: model " << r.name << " (" << r.file << ") is missing; its cells are reported as missing\n";
  if (!any_model && suite.synthetic_fallback) {
    const std::string dir = (fs::path(root) / ".cache" / "synthetic").string();
    Resource m{kSyntheticModelName, "synthetic-llama.gguf", write_synthetic_model(dir), {}, "", true, ""};
    m.sha256 = sha256_file(m.path);
    in.models.push_back(m);
    log << "bench-all: no model of the suite was found; measuring a generated model (synthetic weights) instead\n";
    if (!any_text && suite.ppl) {
      Resource t{kSyntheticTextName, "synthetic-text.txt", write_synthetic_text(dir), {}, "", true, ""};
      t.sha256 = sha256_file(t.path);
      in.texts.push_back(t);
      log << "bench-all: no text of the suite was found; perplexity runs on generated text (synthetic)\n";
    }
  }
  return in;
}

}  // namespace quant::harness
