#include "harness/measure/counts.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "quant/error.h"

namespace quant::harness {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> count_command(const Cell& c, const Variant& v, const std::string& binary, const Inputs& in,
                                       const std::string& out_file) {
  Cell bench = c;
  bench.metric = Metric::speed;
  std::vector<std::string> a = {"valgrind", "--tool=callgrind", "--quiet", "--collect-atstart=no", "--instr-atstart=no",
                                "--cache-sim=yes", std::string("--I1=") + kCountI1, std::string("--D1=") + kCountD1,
                                std::string("--LL=") + kCountLL, "--callgrind-out-file=" + out_file};
  const auto q = quant_command(bench, v, binary, in);
  a.insert(a.end(), q.begin(), q.end());
  return a;
}

std::vector<CallgrindDump> read_callgrind_dumps(const std::string& out_file) {
  std::vector<CallgrindDump> out;
  const fs::path base(out_file);
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base.parent_path(), ec)) {
    const std::string name = e.path().filename().string(), stem = base.filename().string();
    if (name == stem || name.rfind(stem + ".", 0) == 0) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    CallgrindDump d;
    std::vector<std::string> names;
    bool totals = false;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("events:", 0) == 0) {
        std::istringstream s(line.substr(7));
        for (std::string w; s >> w;) names.push_back(w);
      } else if (line.rfind("trigger:", 0) == 0 || line.rfind("desc: Trigger:", 0) == 0) {
        d.part = line.substr(line.find(':', line[0] == 'd' ? 6 : 0) + 1);
        d.part.erase(0, d.part.find_first_not_of(' '));
        const std::string prefix = "Client Request: ";
        if (d.part.rfind(prefix, 0) == 0) d.part = d.part.substr(prefix.size());
      } else if (line.rfind("totals:", 0) == 0 || line.rfind("summary:", 0) == 0) {
        std::istringstream s(line.substr(line.find(':') + 1));
        d.events.clear();
        double x;
        for (size_t i = 0; i < names.size() && s >> x; ++i) d.events[names[i]] = x;
        totals = true;
      }
    }
    if (names.empty() || !totals) throw InputError(f.string() + ": not a callgrind output file (no events or totals line)");
    out.push_back(d);
  }
  return out;
}

std::string valgrind_version() {
  static const std::string v = [] {
    const ProcessResult p = run_process({"valgrind", "--version"}, {}, 30);
    if (!p.started || p.exit_code != 0) return std::string();
    std::string s = p.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }();
  return v;
}

RunRecord interpret_count_run(const Cell& c, int index, const Variant& v, const Inputs& in, const ProcessResult& p,
                              const std::vector<CallgrindDump>& dumps, const std::string& valgrind, const std::string& date) {
  Cell bench = c;
  bench.metric = Metric::speed;
  RunRecord r = interpret_run(bench, index, v, in, p, date);
  r.cell = c.id;
  if (!r.ok()) return r;
  auto fail = [&](const std::string& why) {
    r.status = "error";
    r.error = why;
    r.sample = nullptr;
    r.engine = nullptr;
    return r;
  };
  json s;
  for (const char* k : {"n_prompt", "n_gen", "depth", "max_tokens_in_cache"}) s[k] = r.sample.at(k);
  const json q = json::parse(p.out);
  const json& b = q.at("bench");
  if (!b.value("counted_regions", false))
    return fail("quant did not mark its timed regions for Valgrind (built without valgrind/callgrind.h?)");
  s["test_extra_work"] = b.value("test_extra_work", 0);
  if (b.contains("test_delay_us")) s["test_delay_us"] = b.at("test_delay_us");
  for (const char* part : {"pp", "tg"}) {
    const int per_rep = std::string(part) == "pp" ? c.n_prompt : c.n_gen;
    if (per_rep == 0) continue;
    double ir = 0, ll = 0;
    int n = 0;
    for (const auto& d : dumps) {
      if (d.part != part) continue;
      ++n;
      auto ev = [&](const char* e) { return d.events.count(e) ? d.events.at(e) : 0.0; };
      ir += ev("Ir");
      ll += ev("ILmr") + ev("DLmr") + ev("DLmw");
    }
    if (n != c.inner_reps)
      return fail("callgrind wrote " + std::to_string(n) + " '" + part + "' dumps, expected " +
                  std::to_string(c.inner_reps) + " (one per measured repetition)");
    if (!(ir > 0)) return fail(std::string("callgrind counted no instructions in the '") + part + "' region");
    const double tokens = static_cast<double>(per_rep) * c.inner_reps;
    s[std::string(part) + "_instr_per_token"] = ir / tokens;
    s[std::string(part) + "_ll_miss_per_token"] = ll / tokens;
  }
  const json& build = q.at("build");
  s["counter"] = {{"tool", "callgrind"},
                  {"valgrind", valgrind},
                  {"cache", std::string("I1=") + kCountI1 + " D1=" + kCountD1 + " LL=" + kCountLL},
                  {"kernels", q.at("system").value("cpu_kernels", "?")},
                  {"threads", c.threads},
                  {"compiler", build.value("compiler", "?")},
                  {"cxx_flags", build.value("cxx_flags", "?")},
                  {"cmake_options", build.value("cmake_options", json::object())}};
  r.sample = s;
  return r;
}

RunRecord run_count(const Cell& c, int index, const Variant& v, const std::string& binary, const Inputs& in,
                    const std::string& date) {
  const std::string valgrind = valgrind_version();
  if (valgrind.empty()) {
    RunRecord r;
    r.cell = c.id;
    r.index = index;
    r.date = date;
    r.status = "error";
    r.error = "valgrind is not installed (count cells run under it; scripts/setup installs it)";
    return r;
  }
  std::string tmpl = (fs::temp_directory_path() / "bench-all-counts-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw InputError("cannot create a temporary folder under " + fs::temp_directory_path().string());
  const std::string out_file = (fs::path(tmpl) / "callgrind.out").string();
  const ProcessResult p = run_process(count_command(c, v, binary, in, out_file), v.env, c.timeout_s);
  RunRecord r;
  try {
    r = interpret_count_run(c, index, v, in, p, read_callgrind_dumps(out_file), valgrind, date);
  } catch (const InputError& e) {
    r = interpret_run(c, index, v, in, p, date);
    r.status = "error";
    r.error = e.what();
    r.sample = nullptr;
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return r;
}

std::string count_provenance_mismatch(const json& base, const json& cur) {
  std::string out;
  for (const char* k : {"tool", "valgrind", "cache", "kernels", "threads", "compiler", "cxx_flags"}) {
    const json a = base.is_object() ? base.value(k, json()) : json(), b = cur.is_object() ? cur.value(k, json()) : json();
    if (a != b) out += (out.empty() ? "" : "; ") + std::string(k) + " " + (a.is_string() ? a.get<std::string>() : a.dump()) +
                       " vs " + (b.is_string() ? b.get<std::string>() : b.dump());
  }
  return out;
}

}  // namespace quant::harness
