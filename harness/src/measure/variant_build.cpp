#include "harness/measure/variant_build.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness/util/json_check.h"
#include "harness/util/process.h"

namespace quant::harness {

namespace fs = std::filesystem;
using nlohmann::json;

nlohmann::json to_json(const VariantBuild& b) {
  json j{{"variant", b.variant}, {"built", b.built}, {"reason", b.reason}, {"source", b.source},
              {"build_dir", b.build_dir}, {"binary", b.binary}, {"log", b.log}, {"cache", b.cache},
              {"compiler", b.compiler}, {"cxx_flags", b.cxx_flags}, {"seconds", b.seconds}};
  if (!b.peer.is_null()) j["peer"] = b.peer;
  return j;
}

VariantBuild variant_build_from_json(const nlohmann::json& j) {
  VariantBuild b;
  b.variant = j.at("variant");
  b.built = j.at("built");
  b.reason = j.value("reason", "");
  b.source = j.value("source", "");
  b.build_dir = j.value("build_dir", "");
  b.binary = j.value("binary", "");
  b.log = j.value("log", "");
  b.cache = j.value("cache", std::map<std::string, std::string>{});
  b.compiler = j.value("compiler", "");
  b.cxx_flags = j.value("cxx_flags", "");
  b.seconds = j.value("seconds", 0.0);
  if (j.contains("peer")) b.peer = j.at("peer");
  return b;
}

std::map<std::string, std::string> read_cmake_cache(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '/') continue;
    const size_t colon = line.find(':'), eq = line.find('=');
    if (colon == std::string::npos || eq == std::string::npos || colon > eq) continue;
    m[line.substr(0, colon)] = line.substr(eq + 1);
  }
  return m;
}

namespace {

bool recorded_key(const std::string& k) {
  static const char* exact[] = {"CMAKE_BUILD_TYPE", "CMAKE_CXX_COMPILER", "CMAKE_C_COMPILER", "CMAKE_GENERATOR",
                                "CMAKE_CXX_FLAGS"};
  for (const char* e : exact)
    if (k == e) return true;
  return k.starts_with("CMAKE_CXX_FLAGS_") || k.starts_with("ENGINE_") || k.starts_with("QUANT_");
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// The error lines (with a CMake error's indented continuation), else the last lines: what a reader
// needs to see first.
std::string failure_summary(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string errors;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const bool error = l.rfind("CMake Error", 0) == 0 || l.find("error:") != std::string::npos ||
                       l.find("not used by the project") != std::string::npos;
    if (!error) continue;
    std::string item = l;
    for (size_t j = i + 1; j < lines.size() && lines[j].rfind("  ", 0) == 0; ++j) item.append(" ").append(lines[j], 2);
    errors += (errors.empty() ? "" : " | ") + item;
    if (errors.size() > 600) break;
  }
  if (errors.empty()) return tail_lines(output, 4, 600);
  return errors.size() > 600 ? errors.substr(0, 600) + "..." : errors;
}

void record_cache(VariantBuild& b, const Variant& v) {
  const auto cache = read_cmake_cache((fs::path(b.build_dir) / "CMakeCache.txt").string());
  for (const auto& [k, val] : cache)
    if (recorded_key(k)) b.cache[k] = val;
  const std::string bt = upper(cache.count("CMAKE_BUILD_TYPE") ? cache.at("CMAKE_BUILD_TYPE") : v.build_type);
  auto get = [&](const std::string& k) { return cache.count(k) ? cache.at(k) : std::string(); };
  b.cxx_flags = get("CMAKE_CXX_FLAGS");
  const std::string extra = get("CMAKE_CXX_FLAGS_" + bt);
  if (!extra.empty()) b.cxx_flags += (b.cxx_flags.empty() ? "" : " ") + extra;
  const std::string cxx = get("CMAKE_CXX_COMPILER");
  if (!cxx.empty()) {
    const ProcessResult r = run_process({cxx, "--version"}, {}, 30);
    b.compiler = r.out.substr(0, r.out.find('\n'));
  }
}

}  // namespace

VariantBuild build_variant(const Variant& v, const std::string& root, int jobs, std::ostream& log) {
  VariantBuild b;
  b.variant = v.name;
  b.source = "cmake";
  b.build_dir = (fs::path(root) / v.build_dir).lexically_normal().string();
  b.binary = (fs::path(b.build_dir) / "engine" / "quant").string();
  b.log = (fs::path(b.build_dir) / "bench-all-build.log").string();
  std::vector<std::string> configure = {"cmake", "-S", root, "-B", b.build_dir, "-DCMAKE_BUILD_TYPE=" + v.build_type};
  for (const auto& [k, val] : v.cmake_options) configure.push_back("-D" + k + "=" + val);
  log << "bench-all: building variant " << v.name << " in " << v.build_dir << " ..." << std::flush;
  const ProcessResult c = run_process(configure, v.env, 0);
  std::string output = "$ cmake configure\n" + c.out + c.err;
  b.seconds = c.seconds;
  auto finish = [&](bool ok, const std::string& reason) {
    b.built = ok;
    b.reason = reason;
    record_cache(b, v);
    std::error_code ec;
    if (fs::is_directory(b.build_dir, ec)) {
      write_text_file(b.log, output);
      write_text_file((fs::path(b.build_dir) / "bench-all-build.json").string(), to_json(b).dump(2) + "\n");
    } else {
      b.log.clear();
    }
    log << (ok ? " built" : " NOT BUILT") << " (" << static_cast<int>(b.seconds) << " s)"
        << (ok ? "" : ": " + reason) << "\n";
    return b;
  };
  if (!c.started || c.exit_code != 0) return finish(false, "CMake configure failed: " + failure_summary(output));
  if (output.find("not used by the project") != std::string::npos)
    return finish(false, "CMake configure: " + failure_summary(output));
  // The cache must hold what the variant asked for: a silently ignored option would mislabel every figure.
  const auto cache = read_cmake_cache((fs::path(b.build_dir) / "CMakeCache.txt").string());
  for (const auto& [k, val] : v.cmake_options) {
    auto it = cache.find(k);
    if (it == cache.end() || upper(it->second) != upper(val))
      return finish(false, "CMake cache has " + k + "=" + (it == cache.end() ? "(unset)" : it->second) +
                               ", the variant asks for " + val);
  }
  const ProcessResult m = run_process({"cmake", "--build", b.build_dir, "--target", "quant", "-j", std::to_string(jobs)},
                                      v.env, 0);
  output += "$ cmake --build --target quant\n" + m.out + m.err;
  b.seconds += m.seconds;
  if (!m.started || m.exit_code != 0) return finish(false, "build failed: " + failure_summary(m.out + m.err));
  if (!fs::is_regular_file(b.binary)) return finish(false, "build produced no " + b.binary);
  return finish(true, "");
}

VariantBuild prebuilt_variant(const Variant& v, const std::string& binary) {
  VariantBuild b;
  b.variant = v.name;
  b.source = "override";
  b.binary = fs::absolute(binary).lexically_normal().string();
  b.built = fs::is_regular_file(b.binary);
  if (!b.built) b.reason = "--binary " + v.name + "=" + binary + ": no such file";
  return b;
}

}  // namespace quant::harness
