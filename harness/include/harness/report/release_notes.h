#pragma once
// Release notes: reports/releases/<version>.md generated from a release-suite results file, with a
// "what changed since the previous release" section computed from the previous release's stored
// results (reports/releases/<previous>.results.json). Nothing in it is typed by hand.
#include <optional>
#include <string>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

struct PreviousRelease {
  std::string version;
  Results results;
};

// `claims`: Markdown of the claim checks, or empty while the claim gate does not exist.
std::string render_release_notes(const std::string& version, const Results& now, const Analysis& a,
                                 const std::optional<PreviousRelease>& previous, const std::string& claims);

// The words that mark a preview's title and every heading; the claims linter refuses such a file as a release.
inline constexpr const char* kPreviewMarker = "preview, not a release";

// The release tables of any suite's results, for a look before a release sweep exists: the title and
// every section heading carry kPreviewMarker; `rules`: the methodology rules a release would fail.
std::string render_release_preview(const std::string& results_file, const Results& now, const Analysis& a,
                                   const std::vector<std::string>& rules);

// Where a release's results are stored beside its notes: dir/X.results.json.gz (gzipped JSON).
std::string stored_results_path(const std::string& dir, const std::string& version);
// Versions with stored results in `dir` (X.results.json.gz), ordered oldest first by version number.
std::vector<std::string> stored_versions(const std::string& dir);
// The newest stored version older than `version` (by version order), if any.
std::optional<std::string> previous_version(const std::string& dir, const std::string& version);
// Numeric-aware ordering: 0.9 < 0.10 < 1.0-rc1 < 1.0.
bool version_less(const std::string& a, const std::string& b);

}  // namespace quant::harness
