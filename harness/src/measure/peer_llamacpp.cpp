#include "harness/measure/peer_llamacpp.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "harness/util/json_check.h"
#include "quant/sha256.h"

namespace quant::harness {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<std::string> llamacpp_cache_type(const std::string& t, Metric metric) {
  if (t == "fp32") {
    if (metric == Metric::speed) return std::nullopt;  // llama-bench accepts no f32 cache
    return "f32";
  }
  if (t == "fp16") return "f16";
  if (t == "q8_0" || t == "q4_0") return t;
  return std::nullopt;
}

namespace {

bool quantised(const std::string& t) { return t == "q8_0" || t == "q4_0"; }

const char* tool_of(const Cell& c) { return c.metric == Metric::speed ? "llama-bench" : "llama-perplexity"; }

}  // namespace

std::string llamacpp_unsupported(const Cell& c, const Variant& v) {
  for (const std::string& t : {c.kv.k, c.kv.v})
    if (!llamacpp_cache_type(t, c.metric)) {
      if (t == "fp32") return "unsupported by llama.cpp: llama-bench has no f32 cache type";
      return "unsupported by llama.cpp: no " + t + " cache type";
    }
  if (v.flash_attn == "off" && quantised(c.kv.v))
    return "unsupported by llama.cpp: a quantised V cache needs flash attention, which variant " + v.name +
           " turns off";
  return "";
}

bool llamacpp_flash_attn(const Cell& c, const Variant& v) {
  if (v.flash_attn == "on") return true;
  if (v.flash_attn == "off") return false;
  return quantised(c.kv.v);
}

std::vector<std::string> llamacpp_command(const Cell& c, const Variant& v, const std::string& bin_dir,
                                          const Inputs& inputs) {
  const Resource* m = inputs.model(c.model);
  const std::string k = llamacpp_cache_type(c.kv.k, c.metric).value_or(c.kv.k);
  const std::string vt = llamacpp_cache_type(c.kv.v, c.metric).value_or(c.kv.v);
  std::vector<std::string> a = {(fs::path(bin_dir) / tool_of(c)).string(), "-m", m ? m->path : c.model};
  if (c.metric == Metric::ppl) {
    const Resource* t = inputs.text(c.text);
    a.insert(a.end(), {"-f", t ? t->path : c.text, "-c", std::to_string(c.ctx)});
    if (c.chunks > 0) a.insert(a.end(), {"--chunks", std::to_string(c.chunks)});
  } else {
    a.insert(a.end(), {"-p", std::to_string(c.n_prompt), "-n", std::to_string(c.n_gen), "-d", std::to_string(c.depth),
                       "-r", std::to_string(c.inner_reps), "-o", "json"});
  }
  a.insert(a.end(), {"-t", std::to_string(c.threads), "-ctk", k, "-ctv", vt, "-fa",
                     llamacpp_flash_attn(c, v) ? "on" : "off"});
  return a;
}

// ---- parsing -----------------------------------------------------------------------------------------

namespace {

int int_field(const json& t, const char* key) {
  if (!t.contains(key)) throw std::runtime_error(std::string("llama-bench JSON lacks ") + key);
  const json& x = t.at(key);
  if (x.is_boolean()) return x.get<bool>() ? 1 : 0;  // flash_attn is a bool in some versions, 0/1 in others
  if (!x.is_number_integer()) throw std::runtime_error(std::string("llama-bench JSON ") + key + " is not an integer");
  return x.get<int>();
}

std::string str_field(const json& t, const char* key) {
  if (!t.contains(key) || !t.at(key).is_string())
    throw std::runtime_error(std::string("llama-bench JSON lacks the string ") + key);
  return t.at(key).get<std::string>();
}

}  // namespace

std::vector<LlamaBenchTest> parse_llama_bench_json(const std::string& out) {
  json doc;
  try {
    doc = json::parse(out);
  } catch (const json::exception&) {
    throw std::runtime_error("llama-bench stdout is not one JSON array");
  }
  if (!doc.is_array() || doc.empty()) throw std::runtime_error("llama-bench stdout is not a non-empty JSON array");
  std::vector<LlamaBenchTest> tests;
  for (const json& t : doc) {
    if (!t.is_object()) throw std::runtime_error("llama-bench JSON holds a non-object test");
    LlamaBenchTest x;
    x.n_prompt = int_field(t, "n_prompt");
    x.n_gen = int_field(t, "n_gen");
    x.n_depth = int_field(t, "n_depth");
    x.n_threads = int_field(t, "n_threads");
    x.flash_attn = int_field(t, "flash_attn") != 0;
    x.type_k = str_field(t, "type_k");
    x.type_v = str_field(t, "type_v");
    x.backends = str_field(t, "backends");
    x.model_filename = str_field(t, "model_filename");
    if (!t.contains("samples_ts") || !t.at("samples_ts").is_array())
      throw std::runtime_error("llama-bench JSON lacks the array samples_ts");
    for (const json& s : t.at("samples_ts")) {
      if (!s.is_number() || !(s.get<double>() > 0)) throw std::runtime_error("llama-bench samples_ts holds a non-positive value");
      x.samples_ts.push_back(s.get<double>());
    }
    x.raw = t;
    tests.push_back(std::move(x));
  }
  return tests;
}

LlamaPerplexity parse_llama_perplexity(const std::string& out, const std::string& err) {
  const std::string all = out + "\n" + err;
  LlamaPerplexity p;
  static const std::regex final_re(R"(Final estimate: PPL = ([0-9.eE+-]+) \+/- ([0-9.eE+-]+))");
  static const std::regex chunks_re(R"(calculating perplexity over ([0-9]+) chunks, n_ctx=([0-9]+))");
  static const std::regex threads_re(R"(system_info: n_threads = ([0-9]+))");
  static const std::regex progress_re(R"(\[([0-9]+)\]([0-9.]+|nan|inf),)");
  std::smatch m;
  if (!std::regex_search(all, m, final_re)) throw std::runtime_error("llama-perplexity printed no \"Final estimate: PPL = X +/- Y\" line");
  p.ppl = std::strtod(m[1].str().c_str(), nullptr);
  p.uncertainty = std::strtod(m[2].str().c_str(), nullptr);
  if (!(p.ppl > 0) || !(p.uncertainty >= 0)) throw std::runtime_error("llama-perplexity's final PPL is not a positive number");
  if (!std::regex_search(all, m, chunks_re))
    throw std::runtime_error("llama-perplexity printed no \"calculating perplexity over N chunks, n_ctx=C\" line");
  p.n_chunks = std::stoi(m[1]);
  p.n_ctx = std::stoi(m[2]);
  if (std::regex_search(all, m, threads_re)) p.n_threads = std::stoi(m[1]);
  const size_t si = all.find("system_info:");
  if (si != std::string::npos) {
    const size_t end = all.find('\n', si);
    p.system_info = all.substr(si, end == std::string::npos ? std::string::npos : end - si);
    while (!p.system_info.empty() && (p.system_info.back() == ' ' || p.system_info.back() == '\r')) p.system_info.pop_back();
  }
  for (auto it = std::sregex_iterator(out.begin(), out.end(), progress_re); it != std::sregex_iterator(); ++it)
    p.progress_chunks = std::max(p.progress_chunks, std::stoi((*it)[1]));
  return p;
}

std::string llamacpp_limitation(const std::string& err) {
  static const std::regex limit_re(
      R"(does not divide n_embd_head|requires flash.?attn|flash.?attn.*required|invalid parameter for argument: -ct[kv]|unknown model architecture|unsupported cache type)",
      std::regex::icase);
  static const std::regex prefix_re(R"(^[0-9.]+ [A-Z] )");  // "0.00.032.345 E " log prefix
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, limit_re)) {
      line = std::regex_replace(line, prefix_re, "");
      return line.size() > 300 ? line.substr(0, 300) + "..." : line;
    }
  return "";
}

// ---- one repetition ----------------------------------------------------------------------------------

namespace {

struct Invalid {
  std::string what;
};

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// The llama-bench test of one timing: exactly one, measured as the cell asked.
const LlamaBenchTest& bench_test(const std::vector<LlamaBenchTest>& tests, const Cell& c, bool pp) {
  const LlamaBenchTest* found = nullptr;
  for (const auto& t : tests)
    if (pp ? (t.n_prompt == c.n_prompt && t.n_gen == 0) : (t.n_gen == c.n_gen && t.n_prompt == 0)) {
      if (found) throw Invalid{"llama-bench reported two " + std::string(pp ? "pp" : "tg") + " tests"};
      found = &t;
    }
  if (!found)
    throw Invalid{"llama-bench reported no " + std::string(pp ? "pp" + std::to_string(c.n_prompt) : "tg" + std::to_string(c.n_gen)) +
                  " test"};
  return *found;
}

json bench_sample(const Cell& c, const Variant& v, const Inputs& in, const std::vector<LlamaBenchTest>& tests, json& engine) {
  const std::string k = *llamacpp_cache_type(c.kv.k, c.metric), vt = *llamacpp_cache_type(c.kv.v, c.metric);
  const Resource* model = in.model(c.model);
  json s{{"n_prompt", c.n_prompt}, {"n_gen", c.n_gen}, {"depth", c.depth},
         // llama-bench runs pp and tg as separate tests, each starting from `depth` cached tokens.
         {"max_tokens_in_cache", c.depth + std::max(c.n_prompt, c.n_gen)}};
  for (const bool pp : {true, false}) {
    if ((pp ? c.n_prompt : c.n_gen) == 0) continue;
    const LlamaBenchTest& t = bench_test(tests, c, pp);
    if (t.type_k != k || t.type_v != vt)
      throw Invalid{"llama-bench built the cache with K " + t.type_k + " / V " + t.type_v + ", the cell asked for " + k + " / " + vt};
    if (t.n_threads != c.threads)
      throw Invalid{"llama-bench ran with " + std::to_string(t.n_threads) + " threads, the cell asked for " + std::to_string(c.threads)};
    if (t.n_depth != c.depth) throw Invalid{"llama-bench ran at depth " + std::to_string(t.n_depth) + ", the cell asked for " + std::to_string(c.depth)};
    if (t.flash_attn != llamacpp_flash_attn(c, v)) throw Invalid{"llama-bench ran with flash attention " + std::string(t.flash_attn ? "on" : "off") + ", the harness asked for " + (t.flash_attn ? "off" : "on")};
    if (model && t.model_filename != model->path) throw Invalid{"llama-bench read the model " + t.model_filename + ", expected " + model->path};
    std::string backends = t.backends;
    std::transform(backends.begin(), backends.end(), backends.begin(), ::tolower);
    if (backends != v.backend) throw Invalid{"llama-bench ran on backend " + t.backends + ", variant " + v.name + " expects " + v.backend};
    if (static_cast<int>(t.samples_ts.size()) != c.inner_reps)
      throw Invalid{"llama-bench reported " + std::to_string(t.samples_ts.size()) + " repetitions, expected " + std::to_string(c.inner_reps)};
    s[pp ? "pp_tok_s" : "tg_tok_s"] = t.samples_ts;
    const json& r = t.raw;
    engine["build"] = {{"engine", "llama.cpp"}, {"build_commit", r.value("build_commit", "")}, {"build_number", r.value("build_number", 0)}};
    engine["system"] = {{"cpu_info", r.value("cpu_info", "")}};
    engine["backend"] = {{"used", backends}, {"backends", t.backends}};
    engine["model"] = {{"name", r.value("model_type", "")}, {"n_params", r.value("model_n_params", 0)}, {"size", r.value("model_size", 0)}};
    engine["config"]["n_batch"] = r.value("n_batch", 0);
    engine["config"]["n_ubatch"] = r.value("n_ubatch", 0);
  }
  return s;
}

json ppl_sample(const Cell& c, const LlamaPerplexity& p, json& engine) {
  if (p.n_ctx != c.ctx) throw Invalid{"llama-perplexity used n_ctx " + std::to_string(p.n_ctx) + ", the cell asked for " + std::to_string(c.ctx)};
  if (c.chunks > 0 && p.n_chunks != c.chunks)
    throw Invalid{"llama-perplexity scored " + std::to_string(p.n_chunks) + " chunks, the cell asked for " + std::to_string(c.chunks)};
  if (p.n_threads != 0 && p.n_threads != c.threads)
    throw Invalid{"llama-perplexity ran with " + std::to_string(p.n_threads) + " threads, the cell asked for " + std::to_string(c.threads)};
  if (p.progress_chunks != p.n_chunks)
    throw Invalid{"llama-perplexity printed running estimates for " + std::to_string(p.progress_chunks) + " of " +
                  std::to_string(p.n_chunks) + " chunks"};
  engine["build"] = {{"engine", "llama.cpp"}};
  engine["system"] = {{"system_info", p.system_info}};
  engine["backend"] = {{"used", "cpu"}};
  return json{{"ppl", p.ppl}, {"ppl_uncertainty", p.uncertainty}, {"n_chunks", p.n_chunks}, {"ctx", p.n_ctx}};
}

}  // namespace

namespace {
const char* kRerunNote = "bench-all: rerun: the log of the previous attempt lost its final lines";
}  // namespace

ProcessResult run_llamacpp(const std::vector<std::string>& argv, double timeout_s) {
  ProcessResult p = run_process(argv, {}, timeout_s);
  const bool ppl = !argv.empty() && fs::path(argv[0]).filename() == "llama-perplexity";
  std::string notes;
  for (int rerun = 0; ppl && rerun < 2 && p.started && !p.timed_out && p.exit_code == 0 &&
                      (p.err + p.out).find("Final estimate: PPL") == std::string::npos;
       ++rerun) {
    notes += std::string(kRerunNote) + "\n";
    p = run_process(argv, {}, timeout_s);
  }
  p.err += notes;
  if (argv.empty() || !p.started || p.timed_out || p.exit_code == 0 || !llamacpp_limitation(p.err).empty()) return p;
  auto arg = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == flag) return argv[i + 1];
    return std::string();
  };
  // llama-bench has no f32 cache: it would report its own limitation, not the failed tool's.
  if (arg("-ctk") == "f32" || arg("-ctv") == "f32") return p;
  const std::vector<std::string> diagnose = {(fs::path(argv[0]).parent_path() / "llama-bench").string(),
                                             "-m", arg("-m"), "-p", "1", "-n", "0", "-r", "1", "-t", arg("-t"),
                                             "-ctk", arg("-ctk"), "-ctv", arg("-ctv"), "-fa", arg("-fa"), "-o", "json", "-v"};
  const ProcessResult d = run_process(diagnose, {}, timeout_s);
  const std::string why = llamacpp_limitation(d.err);
  if (!why.empty()) p.err += "--- one-token llama-bench -v with the same cache (diagnosis, not timed) ---\n" + why + "\n";
  return p;
}

RunRecord interpret_llamacpp_run(const Cell& c, int index, const Variant& v, const Inputs& in,
                                 const std::vector<std::string>& argv, const ProcessResult& p, const std::string& date) {
  RunRecord r = run_record_start(c, index, p, date);
  r.status = "error";
  if (!p.started) {
    r.error = p.err;
    return r;
  }
  r.stderr_tail = tail_lines(p.err);
  if (p.timed_out) {
    r.status = "timeout";
    r.error = "timed out after " + std::to_string(static_cast<int>(c.timeout_s)) + " s (killed)";
    return r;
  }
  if (p.exit_code != 0) {
    const std::string limit = llamacpp_limitation(p.err);
    const std::string last = tail_lines(p.err, 1, 300);
    r.error = !limit.empty() ? "unsupported by llama.cpp: " + limit
              : p.signal     ? "killed by signal " + std::to_string(p.signal)
                             : "exit code " + std::to_string(p.exit_code) + (last.empty() ? "" : ": " + last);
    return r;
  }
  try {
    json engine;
    const std::string k = *llamacpp_cache_type(c.kv.k, c.metric), vt = *llamacpp_cache_type(c.kv.v, c.metric);
    r.sample = c.metric == Metric::speed ? bench_sample(c, v, in, parse_llama_bench_json(p.out), engine)
                                         : ppl_sample(c, parse_llama_perplexity(p.out, p.err), engine);
    engine["kv"] = {{"k_type", c.kv.k}, {"v_type", c.kv.v}, {"peer_k_type", k}, {"peer_v_type", vt}};
    size_t reruns = 0;
    for (size_t at = p.err.find(kRerunNote); at != std::string::npos; at = p.err.find(kRerunNote, at + 1)) ++reruns;
    if (reruns) r.sample["reruns"] = reruns;
    engine["config"]["threads"] = c.threads;
    engine["config"]["flash_attn"] = llamacpp_flash_attn(c, v);
    engine["config"]["command"] = joined(argv);
    r.engine = engine;
    r.status = "ok";
    r.stderr_tail.clear();
  } catch (const std::runtime_error& e) {
    r.error = e.what();
  } catch (const Invalid& e) {
    r.error = e.what;
  }
  return r;
}

// ---- finding the binaries ----------------------------------------------------------------------------

namespace {

// "$VAR/x" and "${VAR}/x" with every variable set (non-empty); nothing when one is not.
std::optional<std::string> expand(const std::string& s, std::string& unset) {
  static const std::regex var_re(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*))");
  std::string out;
  size_t last = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), var_re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const std::string name = m[1].matched ? m[1].str() : m[2].str();
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) {
      unset = "$" + name;
      return std::nullopt;
    }
    out += s.substr(last, m.position() - last) + value;
    last = m.position() + m.length();
  }
  return out + s.substr(last);
}

}  // namespace

std::string llamacpp_bin_dir(const Variant& v, const std::string& root, const std::string& override_dir,
                             std::string& from, std::string& why) {
  if (!override_dir.empty()) {
    from = "--binary " + v.name + "=" + override_dir;
    return fs::absolute(override_dir).lexically_normal().string();
  }
  std::string unset_list;
  for (const auto& candidate : v.bin_dir) {
    std::string unset;
    const auto dir = expand(candidate, unset);
    if (!dir) {
      unset_list += (unset_list.empty() ? "" : ", ") + unset;
      continue;
    }
    from = candidate;
    const fs::path p(*dir);
    return (p.is_absolute() ? p : fs::path(root) / p).lexically_normal().string();
  }
  why = "no bin_dir candidate applies (" + unset_list + " not set)";
  return "";
}

json markdown_table_rows(const std::string& markdown) {
  json rows = json::object();
  static const std::regex row_re(R"(^\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$)");
  std::istringstream in(markdown);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row_re)) continue;
    const std::string key = m[1], value = m[2];
    if (key.empty() || key.find_first_not_of("-: ") == std::string::npos) continue;  // separator row
    if (key == "what" && value == "value") continue;                                  // header row
    rows[key] = value;
  }
  return rows;
}

VariantBuild prepare_llamacpp(const Variant& v, const std::string& root, const std::string& override_dir) {
  VariantBuild b;
  b.variant = v.name;
  b.source = "peer";
  std::string from, why;
  b.build_dir = llamacpp_bin_dir(v, root, override_dir, from, why);
  if (b.build_dir.empty()) {
    b.reason = "not installed: " + why;
    return b;
  }
  b.binary = (fs::path(b.build_dir) / "llama-bench").string();
  const std::string where = " (bin_dir from " + from + ")";
  for (const char* tool : {"llama-bench", "llama-perplexity"}) {
    const fs::path t = fs::path(b.build_dir) / tool;
    std::error_code ec;
    if (!fs::is_regular_file(t, ec) || access(t.c_str(), X_OK) != 0) {
      b.reason = "not installed: no executable " + t.string() + where;
      return b;
    }
  }
  // `--version` runs the binary with its libraries: a host it cannot run on (no AVX2, missing
  // library) is "not installed" here, not a failure of every cell.
  const ProcessResult ver = run_process({(fs::path(b.build_dir) / "llama-perplexity").string(), "--version"}, {}, 60);
  const std::string version = ver.out + ver.err;
  if (!ver.started || ver.exit_code != 0) {
    b.reason = "not installed: " + (fs::path(b.build_dir) / "llama-perplexity").string() + " --version does not run here (" +
               (ver.signal ? "signal " + std::to_string(ver.signal) : tail_lines(version, 1, 200)) + ")" + where;
    return b;
  }
  json peer{{"engine", "llama.cpp"}, {"bin_dir", b.build_dir}, {"bin_dir_from", from}, {"files", json::object()}};
  std::string line;
  std::istringstream vin(version);
  std::string version_line;
  while (std::getline(vin, line))
    if (!line.empty()) version_line += (version_line.empty() ? "" : "; ") + line;
  peer["version"] = version_line;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(b.build_dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) peer["files"][f.filename().string()] = sha256_file(f.string());
  const fs::path readme = fs::path(b.build_dir).parent_path() / "README.md";
  if (fs::is_regular_file(readme)) {
    peer["readme"] = readme.string();
    peer["readme_table"] = markdown_table_rows(read_text(readme.string()));
  }
  b.peer = peer;
  b.compiler = version_line;
  b.built = true;
  return b;
}

}  // namespace quant::harness
