#include "harness/plan/suite.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/util/json_check.h"
#include "quant/kv_types.h"
#include "quant/sha256.h"
#include "quant/synthetic_model.h"

namespace quant::harness {

std::string suite_path(const std::string& root, const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.ends_with(".json"));
  if (is_path) return name_or_path;
  return (std::filesystem::path(root) / "suites" / (name_or_path + ".json")).string();
}

namespace {

std::string kv_name(const JsonNode& n) {
  const std::string s = n.str();
  if (!parse_kv_type(s)) n.fail("unknown KV cache type '" + s + "' (valid: " + kv_type_list() + ")");
  return s;
}

void check_name(const JsonNode& n, const std::string& name) {
  if (name.find_first_of("/ ,") != std::string::npos) n.fail("names may not contain '/', ' ' or ','");
}

std::vector<SuiteFile> files(const JsonNode& list) {
  std::vector<SuiteFile> out;
  std::set<std::string> names;
  const auto items = list.items();
  if (items.empty()) list.fail("needs at least one entry");
  for (const auto& n : items) {
    n.only({"name", "file"});
    SuiteFile f{n.at("name").plain_name(), n.at("file").str()};
    if (!names.insert(f.name).second) n.at("name").fail("duplicate name '" + f.name + "'");
    out.push_back(f);
  }
  return out;
}

// "all", a type name (K and V alike) or {"k": ..., "v": ...}; no pair twice.
std::vector<KvPair> kv_list(const JsonNode& kv) {
  std::vector<KvPair> out;
  for (const auto& n : kv.items()) {
    if (n.is_string() && n.raw() == "all") {
      for (KvType t : all_kv_types()) out.push_back({std::string(kv_type_name(t)), std::string(kv_type_name(t))});
      continue;
    }
    if (n.is_string()) {
      const std::string t = kv_name(n);
      out.push_back({t, t});
      continue;
    }
    n.only({"k", "v"});
    out.push_back({kv_name(n.at("k")), kv_name(n.at("v"))});
  }
  if (out.empty()) kv.fail("needs at least one KV type");
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (out[i] == out[j]) kv.fail("KV pair " + out[i].k + "/" + out[i].v + " is listed twice");
  return out;
}

std::vector<int> int_list(const JsonNode& n, int lo, int hi) {
  std::vector<int> out;
  std::set<int> seen;
  const auto items = n.items();
  if (items.empty()) n.fail("needs at least one value");
  for (const auto& i : items) {
    const int v = static_cast<int>(i.integer(lo, hi));
    if (!seen.insert(v).second) i.fail("duplicate value " + std::to_string(v));
    out.push_back(v);
  }
  return out;
}

// Speed fields present in `p` replace those of `sp`.
void speed_fields(const JsonNode& p, SpeedSpec& sp) {
  p.only({"n_prompt", "n_gen", "depths", "inner_reps", "reps", "warmup", "depth_fill"});
  if (auto x = p.opt("n_prompt")) sp.n_prompt = static_cast<int>(x->integer(0, 1 << 20));
  if (auto x = p.opt("n_gen")) sp.n_gen = static_cast<int>(x->integer(0, 1 << 20));
  if (sp.n_prompt == 0 && sp.n_gen == 0) p.fail("n_prompt and n_gen are both 0: nothing to measure");
  if (auto x = p.opt("depths")) sp.depths = int_list(*x, 0, 1 << 20);
  if (auto r = p.opt("inner_reps")) sp.inner_reps = static_cast<int>(r->integer(1, 10000));
  if (auto r = p.opt("reps")) sp.reps = static_cast<int>(r->integer(1, 10000));
  if (auto r = p.opt("warmup")) sp.warmup = static_cast<int>(r->integer(0, 100));
  if (auto f = p.opt("depth_fill")) {
    const std::string fill = f->str();
    if (fill != "prefill" && fill != "random") f->fail("unknown depth fill '" + fill + "' (valid: prefill, random)");
    sp.random_depth = fill == "random";
  }
}

SynthModel synth_spec(const JsonNode& n) {
  n.only({"preset", "type", "layers", "ctx", "seed"});
  SynthModel m;
  m.preset = n.at("preset").str();
  if (!synthetic_preset(m.preset)) {
    std::string names;
    for (const auto& p : synthetic_preset_names()) names += (names.empty() ? "" : ", ") + p;
    n.at("preset").fail("unknown preset '" + m.preset + "' (valid: " + names + ")");
  }
  m.type = n.at("type").str();
  if (!synthetic_weight_type(m.type)) n.at("type").fail("unknown weight type '" + m.type + "'");
  if (auto x = n.opt("layers")) m.layers = static_cast<int>(x->integer(1, 4096));
  if (auto x = n.opt("ctx")) m.ctx = static_cast<int>(x->integer(1, 1 << 24));
  if (auto x = n.opt("seed")) m.seed = static_cast<uint64_t>(x->integer(0, 1LL << 53));
  return m;
}

// Models: {"name", "file"} or {"name", "synth": {...}}, each with optional "texts", "kv", "variants" and
// "speed" (parsed after the suite's texts, variants and metrics, which they refine).
std::vector<SuiteFile> models(const JsonNode& list, const Suite& s) {
  std::vector<SuiteFile> out;
  std::set<std::string> names;
  const auto items = list.items();
  if (items.empty()) list.fail("needs at least one entry");
  for (const auto& n : items) {
    n.only({"name", "file", "synth", "texts", "kv", "variants", "speed"});
    SuiteFile f;
    f.name = n.at("name").str();
    check_name(n.at("name"), f.name);
    if (!names.insert(f.name).second) n.at("name").fail("duplicate name '" + f.name + "'");
    if (n.opt("file") && n.opt("synth")) n.fail("give \"file\" or \"synth\", not both");
    if (auto x = n.opt("synth")) f.synth = synth_spec(*x);
    else f.file = n.at("file").str();
    if (auto t = n.opt("texts")) {
      if (f.synth) t->fail("a generated model has synthetic weights: its perplexity means nothing");
      for (const auto& i : t->items()) {
        const std::string name = i.str();
        if (std::none_of(s.texts.begin(), s.texts.end(), [&](const SuiteFile& x) { return x.name == name; }))
          i.fail("text '" + name + "' is not in the suite's \"texts\"");
        f.texts.push_back(name);
      }
      if (f.texts.empty()) t->fail("needs at least one text");
    }
    if (auto k = n.opt("kv")) f.kv = kv_list(*k);
    if (auto vs = n.opt("variants")) {
      for (const auto& i : vs->items()) {
        const std::string v = i.str();
        if (std::find(s.variants.begin(), s.variants.end(), v) == s.variants.end())
          i.fail("variant '" + v + "' is not in the suite's \"variants\"");
        f.variants.push_back(v);
      }
      if (f.variants.empty()) vs->fail("needs at least one variant");
    }
    if (auto p = n.opt("speed")) {
      if (!s.speed) p->fail("the suite has no speed metric to refine");
      SpeedSpec sp = *s.speed;
      speed_fields(*p, sp);
      f.speed = sp;
    }
    out.push_back(f);
  }
  return out;
}

CountSpec count_spec(const JsonNode& n, const Suite& s, const VariantSet& variants) {
  n.only({"variant", "models", "kv", "n_prompt", "n_gen", "depths", "reps", "timeout_s"});
  CountSpec c;
  c.variant = n.at("variant").str();
  const Variant* v = variants.find(c.variant);
  if (!v) n.at("variant").fail("unknown variant '" + c.variant + "' (not in " + variants.file + ")");
  // -march=native code differs between hosts (and Valgrind cannot run AVX-512): counts need fixed flags.
  auto native = v->cmake_options.find("QUANT_NATIVE");
  if (v->backend != "cpu" || native == v->cmake_options.end() || native->second != "OFF")
    n.at("variant").fail("variant '" + c.variant + "' must be a cpu build with cmake_options.QUANT_NATIVE = \"OFF\" "
                         "(fixed compiler flags, so every host runs the same code)");
  auto isa = v->env.find("QUANT_ISA");
  if (isa == v->env.end() || (isa->second != "avx2" && isa->second != "scalar"))
    n.at("variant").fail("variant '" + c.variant + "' must pin the kernel set with env QUANT_ISA = \"avx2\" or "
                         "\"scalar\" (Valgrind cannot run AVX-512)");
  if (auto m = n.opt("models"))
    for (const auto& x : m->items()) {
      const std::string name = x.str();
      bool known = false;
      for (const auto& f : s.models) known |= f.name == name;
      if (!known) x.fail("model '" + name + "' is not in the suite's models");
      c.models.push_back(name);
    }
  if (auto k = n.opt("kv")) c.kv = kv_list(*k);
  c.n_prompt = static_cast<int>(n.at("n_prompt").integer(0, 1 << 20));
  c.n_gen = static_cast<int>(n.at("n_gen").integer(0, 1 << 20));
  if (c.n_prompt == 0 && c.n_gen == 0) n.fail("n_prompt and n_gen are both 0: nothing to count");
  if (auto d = n.opt("depths")) c.depths = int_list(*d, 0, 1 << 20);
  if (auto r = n.opt("reps")) c.reps = static_cast<int>(r->integer(1, 100));
  if (auto t = n.opt("timeout_s")) c.timeout_s = t->number(1, 86400);
  return c;
}

}  // namespace

std::vector<std::string> built_variants(const Suite& s) {
  std::vector<std::string> v = s.variants;
  if (s.counts && std::find(v.begin(), v.end(), s.counts->variant) == v.end()) v.push_back(s.counts->variant);
  return v;
}

Suite load_suite(const std::string& path, const VariantSet& variants) {
  const nlohmann::json doc = read_json_file(path);
  const JsonNode root(doc, path);
  root.only({"schema", "schema_version", "name", "description", "variants", "models", "texts", "kv", "threads",
             "timeout_s", "synthetic_fallback", "metrics", "speed_overrides", "counts"});
  check_schema(root, "bench-all.suite", 1);
  Suite s;
  s.file = path;
  s.sha256 = sha256_hex(read_text(path));
  s.name = root.at("name").plain_name();
  if (auto d = root.opt("description")) s.description = d->str_or_empty();

  const JsonNode vs = root.at("variants");
  std::set<std::string> seen;
  for (const auto& n : vs.items()) {
    const std::string v = n.str();
    if (!variants.find(v)) n.fail("unknown variant '" + v + "' (not in " + variants.file + ")");
    if (!seen.insert(v).second) n.fail("duplicate variant '" + v + "'");
    s.variants.push_back(v);
    if (variants.find(v)->is_peer()) s.peers.insert(v);
  }
  if (s.variants.empty()) vs.fail("needs at least one variant");

  if (auto t = root.opt("texts")) s.texts = files(*t);

  s.kv = kv_list(root.at("kv"));

  if (auto t = root.opt("threads")) s.threads = static_cast<int>(t->integer(1, 1024));
  if (auto t = root.opt("timeout_s")) s.timeout_s = t->number(1, 86400);
  if (auto f = root.opt("synthetic_fallback")) s.synthetic_fallback = f->boolean();

  const JsonNode metrics = root.at("metrics");
  metrics.only({"ppl", "speed"});
  if (auto p = metrics.opt("ppl")) {
    p->only({"ctx", "chunks", "kld", "reps"});
    PplSpec ps;
    ps.ctx = int_list(p->at("ctx"), 8, 1 << 20);
    if (auto c = p->opt("chunks")) ps.chunks = static_cast<int>(c->integer(0, 1 << 20));
    if (auto k = p->opt("kld")) ps.kld = k->boolean();
    if (auto r = p->opt("reps")) ps.reps = static_cast<int>(r->integer(1, 1000));
    if (s.texts.empty()) root.fail("metrics.ppl needs a \"texts\" list");
    s.ppl = ps;
  }
  if (auto p = metrics.opt("speed")) {
    for (const char* required : {"n_prompt", "n_gen"}) (void)p->at(required);
    SpeedSpec sp;
    sp.depths = {0};
    speed_fields(*p, sp);
    s.speed = sp;
  }
  if (!s.ppl && !s.speed && !root.opt("counts")) metrics.fail("needs \"ppl\" or \"speed\"");
  s.models = models(root.at("models"), s);
  if (auto c = root.opt("counts")) s.counts = count_spec(*c, s, variants);
  if (auto o = root.opt("speed_overrides")) {
    if (!s.speed) o->fail("there is no speed metric to override");
    for (const auto& name : o->keys()) {
      const JsonNode n = o->at(name);
      if (std::find(s.variants.begin(), s.variants.end(), name) == s.variants.end())
        n.fail("variant '" + name + "' is not in this suite's variants");
      n.only({"reps", "inner_reps", "warmup", "depths", "kv"});
      RepetitionOverride r;
      if (auto x = n.opt("reps")) r.reps = static_cast<int>(x->integer(1, 10000));
      if (auto x = n.opt("inner_reps")) r.inner_reps = static_cast<int>(x->integer(1, 10000));
      if (auto x = n.opt("warmup")) r.warmup = static_cast<int>(x->integer(0, 100));
      if (auto x = n.opt("depths")) {
        for (const auto& d : x->items()) r.depths.push_back(static_cast<int>(d.integer(0, 1 << 20)));
        if (r.depths.empty()) x->fail("needs at least one depth");
      }
      if (auto x = n.opt("kv")) {
        r.kv = kv_list(*x);
        for (const auto& pair : r.kv)
          if (std::find(s.kv.begin(), s.kv.end(), pair) == s.kv.end())
            x->fail("KV pair " + pair.k + "/" + pair.v + " is not in the suite's kv list");
      }
      s.speed_overrides[name] = r;
    }
  }
  return s;
}

bool RepetitionOverride::keeps(int depth, const KvPair& pair) const {
  return (depths.empty() || std::find(depths.begin(), depths.end(), depth) != depths.end()) &&
         (kv.empty() || std::find(kv.begin(), kv.end(), pair) != kv.end());
}

}  // namespace quant::harness
