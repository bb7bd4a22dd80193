// The harness's folders are layers: a file may include its own layer and the layers below it, never a
// layer above. This keeps the data flow one way (suite -> runs -> results -> verdicts/reports) and the
// include graph free of cycles between folders. The order is the one docs/architecture.md draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Lowest first.
const std::vector<std::string> kLayers = {"util",  "plan",  "measure", "store",  "sweep",
                                          "stats", "judge", "report",  "claims", "history"};

int layer_rank(const std::string& layer) {
  auto it = std::find(kLayers.begin(), kLayers.end(), layer);
  return it == kLayers.end() ? -1 : static_cast<int>(it - kLayers.begin());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every source and header of the harness library, with the layer folder it sits in.
std::vector<std::pair<fs::path, std::string>> library_files() {
  const fs::path root = fs::path(QUANT_SOURCE_DIR) / "harness";
  std::vector<std::pair<fs::path, std::string>> files;
  for (const fs::path base : {root / "src", root / "include" / "harness"}) {
    for (const auto& entry : fs::recursive_directory_iterator(base)) {
      if (!entry.is_regular_file()) continue;
      const fs::path relative = fs::relative(entry.path(), base);
      const std::string layer = relative.has_parent_path() ? relative.begin()->string() : "";
      files.emplace_back(entry.path(), layer);
    }
  }
  return files;
}

}  // namespace

TEST(HarnessLayering, EveryLibraryFileSitsInALayerFolder) {
  const auto files = library_files();
  ASSERT_GT(files.size(), 40u);
  for (const auto& [path, layer] : files) {
    EXPECT_GE(layer_rank(layer), 0) << path << " is outside the layer folders";
  }
}

TEST(HarnessLayering, NoFileIncludesALayerAboveItsOwn) {
  const std::regex include_line(R"re(#include "harness/(\w+)/\w+\.h")re");
  int includes_seen = 0;
  for (const auto& [path, layer] : library_files()) {
    const std::string text = read_text(path);
    for (std::sregex_iterator it(text.begin(), text.end(), include_line), end; it != end; ++it) {
      const std::string target = (*it)[1];
      ++includes_seen;
      EXPECT_GE(layer_rank(target), 0) << path << " includes unknown layer " << target;
      EXPECT_LE(layer_rank(target), layer_rank(layer))
          << path << " (layer " << layer << ") includes " << it->str() << ", a layer above";
    }
  }
  EXPECT_GT(includes_seen, 100);
}
