#include "harness/util/paths.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> env_list(const char* name) {
  std::vector<std::string> out;
  const char* v = std::getenv(name);
  if (!v) return out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ':'))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::string project_root(const std::string& override_root) {
  const std::string r = override_root.empty() ? std::string(QUANT_SOURCE_DIR) : override_root;
  return fs::weakly_canonical(fs::absolute(r)).string();
}

std::string shared_dir(const std::string& root) {
  if (const char* env = std::getenv("QUANT_SHARED_DIR"); env && *env) return env;
  return (fs::path(root) / ".." / "shared").lexically_normal().string();
}

std::vector<std::string> model_search_path(const std::string& root) {
  auto dirs = env_list("QUANT_MODEL_PATH");
  dirs.push_back((fs::path(shared_dir(root)) / "models").string());
  return dirs;
}

std::vector<std::string> text_search_path(const std::string& root) {
  auto dirs = env_list("QUANT_TEXT_PATH");
  dirs.push_back((fs::path(shared_dir(root)) / "data").string());
  return dirs;
}

Located locate(const std::string& file, const std::vector<std::string>& dirs) {
  Located l;
  if (fs::path(file).is_absolute()) {
    l.searched.push_back(file);
    if (fs::is_regular_file(file)) l.path = file;
    return l;
  }
  for (const auto& d : dirs) {
    const std::string p = (fs::path(d) / file).string();
    l.searched.push_back(p);
    if (fs::is_regular_file(p)) {
      l.path = fs::absolute(p).lexically_normal().string();
      return l;
    }
  }
  return l;
}

}  // namespace quant::harness
