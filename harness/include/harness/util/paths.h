#pragma once
// Where things live: the project root, the shared data folder, and the search paths for models and texts.
#include <string>
#include <vector>

namespace quant::harness {

// --root if given, else the source tree bench-all was built from.
std::string project_root(const std::string& override_root = "");

// $QUANT_SHARED_DIR, else <root>/../shared.
std::string shared_dir(const std::string& root);

// Model search path: the folders in $QUANT_MODEL_PATH (colon separated), then <shared>/models.
std::vector<std::string> model_search_path(const std::string& root);
// Text search path: the folders in $QUANT_TEXT_PATH, then <shared>/data.
std::vector<std::string> text_search_path(const std::string& root);

struct Located {
  std::string path;                   // empty when not found
  std::vector<std::string> searched;  // every candidate tried, in order
};
// An absolute `file` is used as is; a relative one is looked up in each folder of `dirs`.
Located locate(const std::string& file, const std::vector<std::string>& dirs);

}  // namespace quant::harness
