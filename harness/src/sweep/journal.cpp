#include "harness/sweep/journal.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness/util/json_check.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

namespace {

json header_json(const JournalHeader& h) {
  return json{{"schema", "bench-all.journal"}, {"schema_version", 1}, {"run_id", h.run_id}, {"started", h.started},
              {"root", h.root}, {"suite_file", h.suite_file}, {"variants_file", h.variants_file},
              {"plan_sha256", h.plan_sha256}, {"shard", h.shard.text()}, {"binaries", h.binaries},
              {"command", h.command}};
}

void write_line(std::FILE* f, const std::string& path, const json& j) {
  // Invalid UTF-8 (which should not reach here) is replaced rather than allowed to abort the sweep.
  const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0)
    throw InputError(path + ": cannot append to the journal: " + std::strerror(errno));
  fsync(fileno(f));
}

// The header's shard, with an error that names the journal rather than the --shard option.
Shard journal_shard(const std::string& path, const std::string& text) {
  try {
    return parse_shard(text);
  } catch (const InputError&) {
    throw InputError(path + ": line 1: \"shard\" is not of the form i/n with 1 <= i <= n");
  }
}

}  // namespace

Journal Journal::create(const std::string& path, const JournalHeader& h) {
  if (std::filesystem::exists(path)) throw InputError(path + ": a journal already exists here (use --resume)");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) throw InputError(path + ": cannot create its folder: " + ec.message());
  // The header goes to a temporary that is renamed into place: a sweep killed here leaves no journal
  // rather than a torn header that no --resume could read. The caller holds the folder's lock.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw InputError(path + ": cannot create the journal: " + std::strerror(errno));
  Journal j(path, f);
  try {
    write_line(f, path, header_json(h));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot create the journal: " + std::strerror(e));
  }
  return j;
}

Journal Journal::reopen(const std::string& path, JournalHeader& h, std::vector<RunRecord>& runs) {
  std::remove((path + ".tmp").c_str());  // left by a sweep killed while rewriting it (the lock is ours)
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the journal");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const bool torn_tail = !lines.empty() && [&] {
    in.clear();
    in.seekg(-1, std::ios::end);
    char last = 0;
    in.get(last);
    return last != '\n';
  }();
  if (lines.empty()) throw InputError(path + ": the journal is empty");
  try {
    if (!json_depth_within(lines[0], kMaxJsonDepth)) throw InputError(path + ": line 1 is nested too deeply");
    const json hj = json::parse(lines[0]);
    if (hj.value("schema", "") != "bench-all.journal") throw InputError(path + ": line 1 is not a bench-all journal header");
    h.run_id = hj.at("run_id");
    h.started = hj.at("started");
    h.root = hj.at("root");
    h.suite_file = hj.at("suite_file");
    h.variants_file = hj.at("variants_file");
    h.plan_sha256 = hj.at("plan_sha256");
    h.shard = journal_shard(path, hj.at("shard"));
    h.binaries = hj.at("binaries").get<std::map<std::string, std::string>>();
    h.command = hj.value("command", "");  // journals before this field: the resume command is recorded
  } catch (const json::exception&) {
    throw InputError(path + ": line 1 is not a valid journal header");
  }
  size_t usable = lines.size();
  std::map<std::pair<std::string, int>, size_t> line_of;  // (cell, run index) -> line number
  for (size_t i = 1; i < lines.size(); ++i) {
    try {
      if (!json_depth_within(lines[i], kMaxJsonDepth))
        throw InputError(path + ": line " + std::to_string(i + 1) + " is nested too deeply to be a run record");
      runs.push_back(run_record_from_json(json::parse(lines[i]).at("run")));
      const auto [it, fresh] = line_of.emplace(std::make_pair(runs.back().cell, runs.back().index), i + 1);
      if (!fresh)
        throw InputError(path + ": line " + std::to_string(i + 1) + " repeats run " + std::to_string(runs.back().index) +
                         " of cell " + runs.back().cell + " (first on line " + std::to_string(it->second) +
                         "); the journal was edited or written by two sweeps at once");
    } catch (const json::exception&) {
      if (i + 1 == lines.size() && torn_tail) {
        usable = i;  // the sweep died while writing this line
        break;
      }
      throw InputError(path + ": line " + std::to_string(i + 1) + " is not a valid run record");
    }
  }
  if (usable != lines.size()) {
    // Drop the torn line so the next append starts on a line of its own.
    std::string keep;
    for (size_t i = 0; i < usable; ++i) keep += lines[i] + "\n";
    write_text_file(path, keep);  // atomically: a kill here keeps the old journal
  } else if (torn_tail) {
    std::ofstream(path, std::ios::app) << "\n";
  }
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw InputError(path + ": cannot append to the journal");
  return Journal(path, f);
}

Journal::~Journal() {
  if (f_) std::fclose(f_);
}

void Journal::append(const RunRecord& r) { write_line(f_, path_, json{{"run", to_json(r, true)}}); }

}  // namespace quant::harness
