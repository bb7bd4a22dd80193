#include "harness/plan/variants.h"

#include <set>

#include "harness/util/json_check.h"
#include "quant/error.h"

namespace quant::harness {

const Variant& VariantSet::default_variant() const {
  for (const auto& v : variants)
    if (v.is_default) return v;
  throw InputError(file + ": no default variant");  // load_variants guarantees one
}

const Variant* VariantSet::find(const std::string& name) const {
  for (const auto& v : variants)
    if (v.name == name) return &v;
  return nullptr;
}

namespace {

std::map<std::string, std::string> string_map(const JsonNode& n, const char* what) {
  std::map<std::string, std::string> m;
  for (const auto& k : n.keys()) {
    const JsonNode v = n.at(k);
    if (!is_identifier(k)) v.fail(std::string("not a valid ") + what + " name");
    m[k] = v.str_or_empty();
  }
  return m;
}

// A peer engine: prebuilt binaries found through `bin_dir`, run on the CPU as they were built.
void read_peer(const JsonNode& n, Variant& v) {
  const JsonNode dirs = n.at("bin_dir");
  if (dirs.is_string()) v.bin_dir.push_back(dirs.str());
  else v.bin_dir = dirs.strings();
  if (v.bin_dir.empty()) dirs.fail("needs at least one folder");
  if (auto f = n.opt("flash_attn")) v.flash_attn = f->str();
  if (v.flash_attn != "needed" && v.flash_attn != "on" && v.flash_attn != "off")
    n.at("flash_attn").fail("expected \"needed\", \"on\" or \"off\"");
  v.backend = "cpu";
  v.build_type = "prebuilt";
  v.build_dir.clear();
}

}  // namespace

VariantSet load_variants(const std::string& path) {
  const nlohmann::json doc = read_json_file(path);
  const JsonNode root(doc, path);
  root.only({"schema", "schema_version", "variants"});
  check_schema(root, "bench-all.variants", 1);
  VariantSet set;
  set.file = path;
  std::set<std::string> names;
  const auto list = root.at("variants").items();
  if (list.empty()) root.at("variants").fail("needs at least one variant");
  for (const auto& n : list) {
    Variant v;
    if (auto k = n.opt("kind")) v.kind = k->str();
    if (v.kind != "quant" && v.kind != "llama.cpp") n.at("kind").fail("unknown kind (valid: quant, llama.cpp)");
    if (v.kind == "quant")
      n.only({"name", "kind", "description", "default", "backend", "build_type", "cmake_options", "env", "build_dir"});
    else
      n.only({"name", "kind", "description", "bin_dir", "flash_attn"});
    v.name = n.at("name").str();
    if (!is_lower_id(v.name)) n.at("name").fail("variant names use a-z, 0-9, '_', '.', '-'");
    if (!names.insert(v.name).second) n.at("name").fail("duplicate variant name '" + v.name + "'");
    if (auto d = n.opt("description")) v.description = d->str_or_empty();
    if (v.is_peer()) {
      read_peer(n, v);
      set.variants.push_back(std::move(v));
      continue;
    }
    if (auto d = n.opt("default")) v.is_default = d->boolean();
    v.backend = n.at("backend").str();
    if (v.backend != "cpu" && v.backend != "vulkan") n.at("backend").fail("unknown backend (valid: cpu, vulkan)");
    v.build_type = n.at("build_type").str();
    static const std::set<std::string> types = {"Release", "RelWithDebInfo", "Debug", "MinSizeRel"};
    if (!types.count(v.build_type)) n.at("build_type").fail("expected Release, RelWithDebInfo, Debug or MinSizeRel");
    if (auto o = n.opt("cmake_options")) v.cmake_options = string_map(*o, "CMake option");
    if (auto e = n.opt("env")) v.env = string_map(*e, "environment variable");
    v.build_dir = n.opt("build_dir") ? n.at("build_dir").str() : "build-variants/" + v.name;
    if (v.build_dir.front() == '/' || v.build_dir.find("..") != std::string::npos)
      n.at("build_dir").fail("must be a folder inside the project (relative, no '..')");
    if (v.is_default) {
      if (v.build_type != "Release") n.at("build_type").fail("the default variant must be a Release build (what users get)");
      if (v.backend != "cpu") n.at("backend").fail("the default variant must be CPU-only (what users get)");
      auto it = v.cmake_options.find("ENGINE_VULKAN");
      if (it != v.cmake_options.end() && it->second != "OFF")
        n.at("cmake_options").at("ENGINE_VULKAN").fail("the default variant must build with ENGINE_VULKAN=OFF");
    }
    if (v.backend == "vulkan") {
      auto it = v.cmake_options.find("ENGINE_VULKAN");
      if (it == v.cmake_options.end() || it->second != "ON")
        n.at("backend").fail("a vulkan variant needs cmake_options.ENGINE_VULKAN = \"ON\"");
    }
    set.variants.push_back(std::move(v));
  }
  int defaults = 0;
  for (const auto& v : set.variants) defaults += v.is_default;
  if (defaults != 1)
    root.at("variants").fail("exactly one variant must have \"default\": true (found " + std::to_string(defaults) + ")");
  std::set<std::string> dirs;
  for (size_t i = 0; i < set.variants.size(); ++i)
    if (!set.variants[i].is_peer() && !dirs.insert(set.variants[i].build_dir).second)
      list[i].fail("build_dir '" + set.variants[i].build_dir + "' is used by two variants");
  return set;
}

}  // namespace quant::harness
