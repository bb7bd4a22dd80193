#include "harness/history/history_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "harness/store/baseline.h"
#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

// Schema steps: kMigrations[i] takes the file from version i to i + 1. Never edit a released step; add one.
const char* const kMigrations[] = {
    // 1: sweeps and their points.
    "CREATE TABLE sweeps(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, commit_sha TEXT NOT NULL,"
    " commit_time INTEGER NOT NULL, machine TEXT NOT NULL, suite TEXT NOT NULL, source TEXT NOT NULL,"
    " added_at TEXT NOT NULL, UNIQUE(run_id, commit_sha, machine, suite));"
    "CREATE TABLE points(sweep_id INTEGER NOT NULL REFERENCES sweeps(id), variant TEXT NOT NULL,"
    " cell TEXT NOT NULL, measure TEXT NOT NULL, value REAL NOT NULL, lo REAL, hi REAL, n INTEGER NOT NULL,"
    " PRIMARY KEY(sweep_id, cell, measure));",
    // 2: a readable machine description for pages, and an index for series look-ups.
    "ALTER TABLE sweeps ADD COLUMN machine_text TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX points_series ON points(cell, measure);",
};
constexpr int kSteps = sizeof kMigrations / sizeof kMigrations[0];
static_assert(kSteps == kHistorySchemaVersion);

// A prepared statement that finalises itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) fail();
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  bool step() {  // true: a row is available
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
  double real(int i) const { return sqlite3_column_double(s_, i); }
  bool null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

 private:
  [[noreturn]] void fail() const { throw InputError(file_ + ": history store: " + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  std::string file_;
};

void exec(sqlite3* db, const std::string& sql, const std::string& file) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw InputError(file + ": history store: " + msg);
  }
}

std::string now_text() { return utc_time_text(std::time(nullptr)); }

}  // namespace

std::string default_history_path(const std::string& root) { return (fs::path(root) / ".cache" / "history.sqlite").string(); }

int64_t parse_utc_time(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::stoll(text);
  std::tm tm{};
  char tail[8] = {0};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, tail) != 7)
    return -1;
  if (std::string(tail) != "Z" && std::string(tail) != "+00:00") return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string utc_time_text(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  char s[32];
  std::strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return s;
}

HistoryStore::HistoryStore(const std::string& path, int version) : path_(path) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw InputError(path + ": cannot open the history store: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    migrate(version);
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

HistoryStore::~HistoryStore() { sqlite3_close(db_); }

int HistoryStore::schema_version() const {
  Statement s(db_, "PRAGMA user_version", path_);
  s.step();
  return static_cast<int>(s.integer(0));
}

void HistoryStore::migrate(int version) {
  int have = 0;
  try {
    have = schema_version();  // fails when the file is not an SQLite database
  } catch (const InputError&) {
    throw InputError(path_ + ": not a bench-all history store (not an SQLite database)");
  }
  if (have > kHistorySchemaVersion)
    throw InputError(path_ + ": history schema version " + std::to_string(have) + " is newer than this bench-all's (" +
                     std::to_string(kHistorySchemaVersion) + "); use a newer bench-all");
  if (have == 0) {  // a fresh file must be empty: never take over another program's database
    Statement s(db_, "SELECT count(*) FROM sqlite_master", path_);
    s.step();
    if (s.integer(0) != 0) throw InputError(path_ + ": not a bench-all history store (unknown tables, schema version 0)");
  }
  for (int v = have; v < version; ++v) {
    exec(db_, "BEGIN IMMEDIATE", path_);
    try {
      exec(db_, kMigrations[v], path_);
      exec(db_, "PRAGMA user_version = " + std::to_string(v + 1), path_);
      exec(db_, "COMMIT", path_);
    } catch (...) {
      exec(db_, "ROLLBACK", path_);
      throw;
    }
  }
}

void check_addable(const Results& r, const std::string& source) {
  const std::string commit = r.harness.value("git_commit", "");
  if (commit.empty() || commit == "unknown")
    throw InputError(source + ": the sweep's commit is unknown (provenance.harness.git_commit)");
  if (r.harness.value("git_dirty", false))
    throw InputError(source + ": measured from a dirty tree of " + commit + ": its figures belong to no commit");
  if (!r.shard.empty()) throw InputError(source + ": shard " + r.shard + " of a sweep: merge the shards first");
  if (!machine_of(r)) throw InputError(source + ": its shards ran on different machine classes: no single series to add to");
}

HistoryStore::Added HistoryStore::add(const Results& r, const Analysis& a, int64_t commit_time, const std::string& source) {
  check_addable(r, source);
  const std::string commit = r.harness.value("git_commit", "");
  const auto machine = machine_of(r);
  Added out;
  exec(db_, "BEGIN IMMEDIATE", path_);
  try {
    Statement ins(db_,
                  "INSERT OR IGNORE INTO sweeps(run_id, commit_sha, commit_time, machine, suite, source, added_at,"
                  " machine_text) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                  path_);
    ins.bind(1, r.run_id).bind(2, commit).bind(3, commit_time).bind(4, machine->slug()).bind(5, r.suite_name);
    ins.bind(6, source).bind(7, now_text()).bind(8, machine->text());
    ins.step();
    if (sqlite3_changes(db_) == 0) {
      exec(db_, "ROLLBACK", path_);
      return out;  // already stored: idempotent
    }
    const int64_t sweep = sqlite3_last_insert_rowid(db_);
    Statement pt(db_, "INSERT INTO points(sweep_id, variant, cell, measure, value, lo, hi, n) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", path_);
    for (const auto& m : a.measures) {
      const CellResult* c = r.cell(m.cell);
      if (!c || !c->ok() || m.summary.n == 0) continue;
      pt.bind(1, sweep).bind(2, c->cell.variant).bind(3, m.cell).bind(4, m.measure).bind(5, m.summary.median);
      if (m.has_ci) pt.bind(6, m.ci.lo).bind(7, m.ci.hi);
      else if (m.uncertainty > 0) pt.bind(6, m.summary.median - m.uncertainty).bind(7, m.summary.median + m.uncertainty);
      else pt.bind_null(6).bind_null(7);
      pt.bind(8, static_cast<int64_t>(m.summary.n));
      pt.step();
      pt.reset();
      ++out.points;
    }
    exec(db_, "COMMIT", path_);
  } catch (...) {
    exec(db_, "ROLLBACK", path_);
    throw;
  }
  out.added = true;
  return out;
}

std::vector<HistorySeries> HistoryStore::series(const std::string& cell_glob, const std::string& measure) const {
  const bool wild = cell_glob.find_first_of("*?[") != std::string::npos;
  Statement q(db_,
              "SELECT s.machine, s.suite, p.variant, p.cell, p.measure, s.commit_sha, s.commit_time, s.run_id, p.value,"
              " p.lo, p.hi, p.n FROM points p JOIN sweeps s ON s.id = p.sweep_id"
              " WHERE p.cell GLOB ?1 AND (?2 = '' OR p.measure = ?2)"
              " ORDER BY s.machine, s.suite, p.cell, p.measure, s.commit_time, s.commit_sha, s.run_id",
              path_);
  q.bind(1, wild ? cell_glob : "*" + cell_glob + "*").bind(2, measure);
  std::vector<HistorySeries> out;
  std::vector<std::vector<double>> values;  // of the last point, one per run (joined by their median)
  auto close_point = [&] {
    if (out.empty() || values.empty()) return;
    std::vector<double>& v = values.back();
    out.back().points.back().value = median(v);
  };
  while (q.step()) {
    HistorySeries key{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), {}};
    if (out.empty() || out.back().key() != key.key()) {
      close_point();
      out.push_back(key);
      values.clear();
    }
    HistoryPoint p{q.text(5), q.text(7), q.integer(6), q.real(8), !q.null(9), q.real(9), q.real(10),
                   static_cast<int>(q.integer(11))};
    auto& pts = out.back().points;
    if (!pts.empty() && pts.back().commit == p.commit) {  // another run of the same commit
      HistoryPoint& last = pts.back();
      values.back().push_back(p.value);
      last.run_id += ", " + p.run_id;
      last.n += p.n;
      if (p.has_interval) {
        last.lo = last.has_interval ? std::min(last.lo, p.lo) : p.lo;
        last.hi = last.has_interval ? std::max(last.hi, p.hi) : p.hi;
        last.has_interval = true;
      }
      continue;
    }
    close_point();
    pts.push_back(p);
    values.push_back({p.value});
  }
  close_point();
  return out;
}

std::vector<HistorySweep> HistoryStore::sweeps() const {
  Statement q(db_,
              "SELECT s.run_id, s.commit_sha, s.machine, s.machine_text, s.suite, s.source, s.commit_time,"
              " (SELECT count(*) FROM points p WHERE p.sweep_id = s.id) FROM sweeps s ORDER BY s.commit_time, s.id",
              path_);
  std::vector<HistorySweep> out;
  while (q.step())
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.integer(6),
                   static_cast<int>(q.integer(7))});
  return out;
}

}  // namespace quant::harness
