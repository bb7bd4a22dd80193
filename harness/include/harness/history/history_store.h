#pragma once
// The history store: every measured commit's figures in one SQLite file (default .cache/history.sqlite),
// so a series (one cell's measure on one machine class, commit after commit) can be shown, searched for
// change points and drawn. A sweep is keyed by (run, commit, machine class, suite); its points by
// (sweep, variant/cell, measure). Adding the same results twice changes nothing. The schema is
// versioned (PRAGMA user_version) and migrated forward on open; a newer file is refused.
// Layout documented in docs/bench-all-history.md.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

struct sqlite3;

namespace quant::harness {

inline constexpr int kHistorySchemaVersion = 2;

struct HistoryPoint {
  std::string commit, run_id;  // run_id: "a, b" when several runs of one commit were joined
  int64_t commit_time = 0;     // committer time, seconds since the epoch (UTC)
  double value = 0;            // the cell's median (quality measures: the engine's figure)
  bool has_interval = false;
  double lo = 0, hi = 0;       // bootstrap CI of the median, or the figure ± its standard error
  int n = 0;                   // samples behind the value
};

struct HistorySeries {
  std::string machine, suite, variant, cell, measure;
  std::vector<HistoryPoint> points;  // one per commit, oldest first
  std::string key() const { return machine + " " + suite + " " + cell + " " + measure; }
};

struct HistorySweep {
  std::string run_id, commit, machine, machine_text, suite, source;
  int64_t commit_time = 0;
  int points = 0;
};

class HistoryStore {
 public:
  // Opens the file (creating it and its folder when absent) and migrates it to `version`; tests build
  // older schemas with a lower one. InputError naming the file when it is not a history store, or when
  // its schema is newer than this bench-all's.
  explicit HistoryStore(const std::string& path, int version = kHistorySchemaVersion);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  int schema_version() const;
  const std::string& path() const { return path_; }

  struct Added {
    bool added = false;  // false: this sweep was already stored (nothing changed)
    int points = 0;
  };
  // Stores every ok cell's measures (from `a`, recomputed from the samples) in one transaction.
  // InputError for dirty trees, unknown commits, merged sweeps without one machine class.
  Added add(const Results& r, const Analysis& a, int64_t commit_time, const std::string& source);

  // Series whose cell id matches `cell_glob` (SQLite GLOB; a pattern without * ? [ matches anywhere in
  // the id) and, when given, `measure`. Several runs of one commit join into one point (median value,
  // widest interval). Ordered by machine, suite, cell, measure; points by commit time.
  std::vector<HistorySeries> series(const std::string& cell_glob = "*", const std::string& measure = "") const;
  std::vector<HistorySweep> sweeps() const;  // oldest commit first

 private:
  void migrate(int version);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// InputError naming `source` when a sweep cannot be added: unknown commit, dirty tree, a shard, or shards
// from different machine classes. `add` checks the same; commands check first, before opening a store.
void check_addable(const Results& r, const std::string& source);

// The default file: <root>/.cache/history.sqlite.
std::string default_history_path(const std::string& root);

// Seconds since the epoch from "YYYY-MM-DDTHH:MM:SSZ" (or "+00:00") or plain digits; -1 when neither.
int64_t parse_utc_time(const std::string& text);
std::string utc_time_text(int64_t t);  // "YYYY-MM-DDTHH:MM:SSZ"

}  // namespace quant::harness
