#include "harness/store/baseline.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "harness/util/json_check.h"
#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Machine::text() const {
  return cpu_model + ", " + std::to_string(n_cores) + " cores, " + os;
}

std::string Machine::slug() const {
  std::string s;
  auto add = [&](const std::string& part) {
    for (unsigned char c : part) {
      if (std::isalnum(c) || c == '_') s += static_cast<char>(std::tolower(c));
      else if (!s.empty() && s.back() != '-') s += '-';
    }
    if (!s.empty() && s.back() != '-') s += '-';
  };
  add(cpu_model);
  add(std::to_string(n_cores) + "c");
  add(os);
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s.empty() ? "unknown" : s;
}

namespace {

Machine machine_from_system(const json& s) {
  Machine m;
  m.cpu_model = s.value("cpu_model", "unknown");
  m.n_cores = s.value("n_cores", 0);
  // "Linux 6.1.0-18-cloud-amd64 x86_64" -> "Linux x86_64": kernel updates do not make another machine class.
  std::istringstream os(s.value("os", "unknown"));
  std::vector<std::string> words;
  for (std::string w; os >> w;) words.push_back(w);
  m.os = words.empty() ? "unknown" : words.size() == 1 ? words[0] : words.front() + " " + words.back();
  return m;
}

}  // namespace

std::optional<Machine> machine_of(const Results& r) {
  const Machine m = machine_from_system(r.system);
  for (const auto& s : r.merged_from)
    if (!(machine_from_system(s.system) == m)) return std::nullopt;
  return m;
}

std::string baseline_dir(const std::string& root, const std::string& suite) {
  return (fs::path(root) / "baselines" / suite).string();
}

double test_delay_us(const RunRecord& run) {
  if (!run.sample.is_object() || !run.sample.contains("test_delay_us")) return 0;
  const json& d = run.sample.at("test_delay_us");
  return d.is_number() ? d.get<double>() : 0;
}

double test_extra_work(const RunRecord& run) {
  if (!run.sample.is_object() || !run.sample.contains("test_extra_work")) return 0;
  const json& d = run.sample.at("test_extra_work");
  return d.is_number() ? d.get<double>() : 0;
}

Results baseline_of_variant(const Results& r, const std::string& variant) {
  Results b = r;
  b.cells.clear();
  for (const auto& c : r.cells)
    if (c.cell.variant == variant && c.ok()) b.cells.push_back(c);
  for (auto& v : b.variants) v.build.log.clear();
  return b;
}

std::vector<std::string> update_baseline(const Results& r, const std::string& root, std::ostream& log) {
  if (!r.shard.empty())
    throw InputError("baseline update: run " + r.run_id + " is shard " + r.shard + "; merge the shards first (bench-all merge)");
  const std::optional<Machine> m = machine_of(r);
  if (!m) throw InputError("baseline update: run " + r.run_id + " merges shards measured on different machines");
  for (const auto& c : r.cells)
    for (const auto& run : c.runs)
      if (test_delay_us(run) > 0)
        throw InputError("baseline update: cell " + c.cell.id + " was measured with QUANT_TEST_DELAY_US=" +
                         std::to_string(static_cast<long>(test_delay_us(run))) + " (a test-only slowdown)");
      else if (test_extra_work(run) > 0)
        throw InputError("baseline update: cell " + c.cell.id + " was measured with QUANT_TEST_EXTRA_WORK=" +
                         std::to_string(static_cast<long long>(test_extra_work(run))) + " (test-only extra work)");
  const fs::path dir = fs::path(baseline_dir(root, r.suite_name)) / m->slug();
  std::vector<std::string> written;
  for (const auto& v : r.variants) {
    if (v.variant.is_peer()) {  // a peer engine is reported beside quant, never gated
      log << "baseline: variant " << v.variant.name << " is a peer engine; no baseline written for it\n";
      continue;
    }
    int ok = 0, other = 0;
    for (const auto& c : r.cells) {
      if (c.cell.variant != v.variant.name) continue;
      if (c.ok()) {
        ++ok;
      } else {
        ++other;
        log << "baseline: left out " << c.cell.id << " (" << c.status << (c.reason.empty() ? "" : ": " + c.reason) << ")\n";
      }
    }
    if (ok == 0) {
      if (other) log << "baseline: variant " << v.variant.name << " has no measured cell; no baseline written for it\n";
      continue;
    }
    // Names were checked on load; this guards every other way a Results could be made.
    if (!is_plain_name(r.suite_name) || !is_plain_name(v.variant.name))
      throw InputError("baseline update: suite '" + r.suite_name + "' or variant '" + v.variant.name +
                       "' is not a plain name (" + kPlainNameRule + ")");
    const std::string path = (dir / (v.variant.name + ".json")).string();
    fs::create_directories(dir);
    write_text_file(path, results_to_json(baseline_of_variant(r, v.variant.name), json::object()).dump(1) + "\n");
    written.push_back(path);
  }
  if (written.empty()) throw InputError("baseline update: run " + r.run_id + " has no measured cell");
  return written;
}

std::vector<BaselineFile> list_baselines(const std::string& root, const std::string& suite) {
  std::vector<BaselineFile> out;
  const fs::path dir = baseline_dir(root, suite);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& machine_dir : fs::directory_iterator(dir)) {
    if (!machine_dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(machine_dir.path())) {
      if (f.path().extension() != ".json") continue;
      const Results r = load_results(f.path().string());
      const std::optional<Machine> m = machine_of(r);
      if (!m) continue;
      out.push_back({f.path().string(), f.path().stem().string(), *m});
    }
  }
  std::sort(out.begin(), out.end(), [](const BaselineFile& a, const BaselineFile& b) { return a.path < b.path; });
  return out;
}

std::optional<BaselineChoice> choose_baseline(const std::vector<BaselineFile>& all, const std::string& variant,
                                              const Machine& machine) {
  std::optional<BaselineChoice> best;
  int best_score = -1;
  for (const auto& b : all) {
    if (b.variant != variant) continue;
    const int score = b.machine == machine ? 3 : b.machine.cpu_model == machine.cpu_model ? 2
                                                : b.machine.n_cores == machine.n_cores   ? 1 : 0;
    if (score > best_score) {
      best_score = score;
      best = BaselineChoice{b, score == 3};
    }
  }
  return best;
}

}  // namespace quant::harness
