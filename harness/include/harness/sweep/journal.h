#pragma once
// The journal: one JSON line per finished run, appended and flushed as soon as the run ends, so an
// interrupted sweep can be continued with --resume. The first line records what the sweep is.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "harness/plan/cells.h"
#include "harness/measure/quant_run.h"

namespace quant::harness {

struct JournalHeader {
  std::string run_id, started;
  std::string root, suite_file, variants_file, plan_sha256;
  Shard shard;
  std::map<std::string, std::string> binaries;  // --binary overrides
  std::string command;                          // the command that started the sweep (kept on --resume)
};

class Journal {
 public:
  // A new journal; refuses to overwrite an existing one.
  static Journal create(const std::string& path, const JournalHeader& header);
  // An existing journal for --resume: its header and every complete run line. A torn last line (the
  // process died while writing it) is ignored; any other bad line, or a line repeating a run already
  // journaled, is an error naming the line. The caller holds the folder's FolderLock.
  static Journal reopen(const std::string& path, JournalHeader& header, std::vector<RunRecord>& runs);

  Journal(Journal&& o) noexcept : path_(std::move(o.path_)), f_(o.f_) { o.f_ = nullptr; }
  Journal(const Journal&) = delete;
  ~Journal();
  void append(const RunRecord& r);
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  std::FILE* f_;
};

}  // namespace quant::harness
