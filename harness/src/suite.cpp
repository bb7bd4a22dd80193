#include "harness/suite.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/json_check.h"
#include "quant/kv_types.h"
#include "quant/sha256.h"

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

std::vector<SuiteFile> files(const JsonNode& list) {
  std::vector<SuiteFile> out;
  std::set<std::string> names;
  const auto items = list.items();
  if (items.empty()) list.fail("needs at least one entry");
  for (const auto& n : items) {
    n.only({"name", "file"});
    SuiteFile f{n.at("name").str(), n.at("file").str()};
    if (f.name.find_first_of("/ ,") != std::string::npos) n.at("name").fail("names may not contain '/', ' ' or ','");
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
  s.name = root.at("name").str();
  if (s.name.find_first_of("/ ") != std::string::npos) root.at("name").fail("suite names may not contain '/' or ' '");
  if (auto d = root.opt("description")) s.description = d->str_or_empty();

  const JsonNode vs = root.at("variants");
  std::set<std::string> seen;
  for (const auto& n : vs.items()) {
    const std::string v = n.str();
    if (!variants.find(v)) n.fail("unknown variant '" + v + "' (not in " + variants.file + ")");
    if (!seen.insert(v).second) n.fail("duplicate variant '" + v + "'");
    s.variants.push_back(v);
  }
  if (s.variants.empty()) vs.fail("needs at least one variant");

  s.models = files(root.at("models"));
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
    p->only({"n_prompt", "n_gen", "depths", "inner_reps", "reps", "warmup"});
    SpeedSpec sp;
    sp.n_prompt = static_cast<int>(p->at("n_prompt").integer(0, 1 << 20));
    sp.n_gen = static_cast<int>(p->at("n_gen").integer(0, 1 << 20));
    if (sp.n_prompt == 0 && sp.n_gen == 0) p->fail("n_prompt and n_gen are both 0: nothing to measure");
    sp.depths = p->opt("depths") ? int_list(p->at("depths"), 0, 1 << 20) : std::vector<int>{0};
    if (auto r = p->opt("inner_reps")) sp.inner_reps = static_cast<int>(r->integer(1, 10000));
    if (auto r = p->opt("reps")) sp.reps = static_cast<int>(r->integer(1, 10000));
    if (auto r = p->opt("warmup")) sp.warmup = static_cast<int>(r->integer(0, 100));
    s.speed = sp;
  }
  if (!s.ppl && !s.speed && !root.opt("counts")) metrics.fail("needs \"ppl\" or \"speed\"");
  if (auto c = root.opt("counts")) s.counts = count_spec(*c, s, variants);
  if (auto o = root.opt("speed_overrides")) {
    if (!s.speed) o->fail("there is no speed metric to override");
    for (const auto& name : o->keys()) {
      const JsonNode n = o->at(name);
      if (std::find(s.variants.begin(), s.variants.end(), name) == s.variants.end())
        n.fail("variant '" + name + "' is not in this suite's variants");
      n.only({"reps", "inner_reps", "warmup"});
      RepetitionOverride r;
      if (auto x = n.opt("reps")) r.reps = static_cast<int>(x->integer(1, 10000));
      if (auto x = n.opt("inner_reps")) r.inner_reps = static_cast<int>(x->integer(1, 10000));
      if (auto x = n.opt("warmup")) r.warmup = static_cast<int>(x->integer(0, 100));
      s.speed_overrides[name] = r;
    }
  }
  return s;
}

}  // namespace quant::harness
