#include "harness/measure/quant_run.h"

#include <ctime>

#include "harness/util/json_check.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

json to_json(const RunRecord& r, bool with_engine) {
  json j{{"cell", r.cell}, {"index", r.index}, {"warmup", r.warmup}, {"status", r.status},
         {"exit_code", r.exit_code}, {"wall_s", r.wall_s}, {"date", r.date}};
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.stderr_tail.empty()) j["stderr_tail"] = r.stderr_tail;
  if (!r.sample.is_null()) j["sample"] = r.sample;
  if (with_engine && !r.engine.is_null()) j["engine"] = r.engine;
  return j;
}

RunRecord run_record_from_json(const json& j) {
  RunRecord r;
  r.cell = j.at("cell");
  r.index = j.at("index");
  r.warmup = j.at("warmup");
  r.status = j.at("status");
  r.exit_code = j.at("exit_code");
  r.wall_s = j.at("wall_s");
  r.date = j.at("date");
  r.error = j.value("error", "");
  r.stderr_tail = j.value("stderr_tail", "");
  if (j.contains("sample")) r.sample = j.at("sample");
  if (j.contains("engine")) r.engine = j.at("engine");
  return r;
}

std::vector<std::string> quant_command(const Cell& c, const Variant& v, const std::string& binary,
                                       const Inputs& inputs) {
  const Resource* m = inputs.model(c.model);
  std::vector<std::string> a = {binary, m ? m->path : c.model};
  if (c.metric == Metric::ppl) {
    const Resource* t = inputs.text(c.text);
    a.insert(a.end(), {"--ppl", t ? t->path : c.text, "-c", std::to_string(c.ctx)});
    if (c.chunks > 0) a.insert(a.end(), {"--chunks", std::to_string(c.chunks)});
    if (c.kld) a.push_back("--kld");
  } else {
    a.insert(a.end(), {"--bench", "-p", std::to_string(c.n_prompt), "-n", std::to_string(c.n_gen), "-r",
                       std::to_string(c.inner_reps), "--depth", std::to_string(c.depth)});
    if (c.random_depth && c.depth > 0) a.insert(a.end(), {"--depth-fill", "random"});
  }
  a.insert(a.end(), {"-k", c.kv.k, "-v", c.kv.v, "-t", std::to_string(c.threads), "--backend", v.backend, "--json"});
  return a;
}

namespace {

struct Invalid {
  std::string what;
};

const json& need(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw Invalid{"quant JSON lacks " + where + "." + key};
  return j.at(key);
}

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

}  // namespace

json engine_sections(const json& q) {
  json e;
  for (const char* k : {"build", "system", "backend", "kv", "config", "warnings"})
    if (q.contains(k)) e[k] = q.at(k);
  if (q.contains("model")) {
    const json& m = q.at("model");
    for (const char* k : {"name", "sha256", "synthetic", "arch", "n_params", "n_layer", "n_head", "n_head_kv",
                          "head_dim", "n_embd", "n_vocab"})
      if (m.contains(k)) e["model"][k] = m.at(k);
  }
  return e;
}

namespace {

// "quant: error: X" -> "X": quant's one-line error without its tool prefix.
std::string without_prefix(const std::string& line) {
  const std::string prefix = "quant: error: ";
  return line.starts_with(prefix) ? line.substr(prefix.size()) : line;
}

std::vector<double> numbers(const json& a, const std::string& where) {
  if (!a.is_array()) throw Invalid{"quant JSON " + where + " is not an array"};
  std::vector<double> v;
  for (const auto& x : a) {
    if (!x.is_number() || !(x.get<double>() > 0)) throw Invalid{"quant JSON " + where + " holds a non-positive value"};
    v.push_back(x.get<double>());
  }
  return v;
}

json extract_sample(const Cell& c, const Variant& v, const Inputs& in, const json& q) {
  const std::string want_mode = c.metric == Metric::ppl ? "perplexity" : "bench";
  if (need(q, "schema", "$") != "quant.run") throw Invalid{"stdout is not a quant.run JSON object"};
  if (need(q, "mode", "$") != want_mode) throw Invalid{"quant ran mode " + text_of(q.at("mode")) + ", expected " + want_mode};

  const json& backend = need(q, "backend", "$");
  const std::string used = text_of(need(backend, "used", "backend"));
  if (used != v.backend)
    throw Invalid{"backend.used is '" + used + "' but variant " + v.name + " expects '" + v.backend + "'"};
  const json& kv = need(q, "kv", "$");
  const std::string k = text_of(need(kv, "k_type", "kv")), vt = text_of(need(kv, "v_type", "kv"));
  if (k != c.kv.k || vt != c.kv.v)
    throw Invalid{"the cache was built with K " + k + " / V " + vt + ", the cell asked for " + c.kv.k + " / " + c.kv.v};
  const json& threads = need(need(q, "config", "$"), "threads", "config");
  if (!threads.is_number_integer() || threads.get<int>() != c.threads)
    throw Invalid{"quant ran with " + text_of(threads) + " threads, the cell asked for " + std::to_string(c.threads)};
  const json& build = need(q, "build", "$");
  const json& opts = need(build, "cmake_options", "build");
  for (const auto& [name, value] : v.cmake_options)
    if (opts.contains(name) && text_of(opts.at(name)) != value)
      throw Invalid{"the binary was built with " + name + "=" + text_of(opts.at(name)) + ", variant " + v.name +
                    " declares " + value};
  if (text_of(need(build, "build_type", "build")) != v.build_type)
    throw Invalid{"the binary is a " + text_of(build.at("build_type")) + " build, variant " + v.name + " declares " +
                  v.build_type};
  const Resource* model = in.model(c.model);
  const std::string sha = text_of(need(need(q, "model", "$"), "sha256", "model"));
  if (model && sha != model->sha256) throw Invalid{"quant read a model with sha256 " + sha + ", expected " + model->sha256};

  json s;
  if (c.metric == Metric::ppl) {
    const json& p = need(q, "perplexity", "$");
    const Resource* text = in.text(c.text);
    if (text && text_of(need(p, "text_sha256", "perplexity")) != text->sha256)
      throw Invalid{"quant read a text with another sha256 than " + text->path};
    for (const char* key : {"ppl", "ppl_uncertainty", "nll_mean", "n_tokens", "n_chunks", "n_scored", "ctx",
                            "max_tokens_in_cache", "text_sha256"})
      s[key] = need(p, key, "perplexity");
    if (!s["ppl"].is_number() || !(s["ppl"].get<double>() > 0)) throw Invalid{"perplexity.ppl is not a positive number"};
    if (c.kld) {
      const json& kl = need(q, "kld", "$");
      for (const char* key : {"mean_kld", "kld_uncertainty", "top1_agreement", "ppl_base", "ppl_delta",
                              "ppl_delta_uncertainty", "ppl_ratio", "ppl_ratio_uncertainty"}) {
        const json& x = need(kl, key, "kld");
        if (!x.is_number()) throw Invalid{std::string("kld.") + key + " is not a number"};
        s["kld"][key] = x;
      }
    }
  } else {
    const json& b = need(q, "bench", "$");
    s["n_prompt"] = need(b, "n_prompt", "bench");
    s["n_gen"] = need(b, "n_gen", "bench");
    s["depth"] = need(b, "depth", "bench");
    s["max_tokens_in_cache"] = need(b, "max_tokens_in_cache", "bench");
    if (b.contains("test_delay_us")) s["test_delay_us"] = b.at("test_delay_us");  // test-only slowdown
    for (const char* t : {"pp", "tg"}) {
      const json& part = need(b, t, "bench");
      const auto tok_s = numbers(need(part, "tok_s", std::string("bench.") + t), std::string("bench.") + t + ".tok_s");
      const int expected = (std::string(t) == "pp" ? c.n_prompt : c.n_gen) > 0 ? c.inner_reps : 0;
      if (static_cast<int>(tok_s.size()) != expected)
        throw Invalid{std::string("bench.") + t + ".tok_s has " + std::to_string(tok_s.size()) + " values, expected " +
                      std::to_string(expected)};
      s[std::string(t) + "_tok_s"] = tok_s;
    }
  }
  return s;
}

}  // namespace

RunRecord run_record_start(const Cell& c, int index, const ProcessResult& p, const std::string& date) {
  RunRecord r;
  r.cell = c.id;
  r.index = index;
  r.warmup = index < c.warmup;
  r.wall_s = p.seconds;
  r.date = date;
  r.exit_code = p.exit_code;
  return r;
}

RunRecord interpret_run(const Cell& c, int index, const Variant& v, const Inputs& in, const ProcessResult& p,
                        const std::string& date) {
  RunRecord r = run_record_start(c, index, p, date);
  if (!p.started) {
    r.status = "error";
    r.error = p.err;
    return r;
  }
  if (p.timed_out) {
    r.status = "timeout";
    r.error = "timed out after " + std::to_string(static_cast<int>(c.timeout_s)) + " s (killed)";
    r.stderr_tail = tail_lines(p.err);
    return r;
  }
  if (p.exit_code != 0) {
    r.status = "error";
    r.stderr_tail = tail_lines(p.err);
    const std::string last = tail_lines(p.err, 1, 300);
    r.error = p.signal ? "killed by signal " + std::to_string(p.signal)
                       : "exit code " + std::to_string(p.exit_code) + (last.empty() ? "" : ": " + last);
    // quant's own word that this build cannot run the cell (e.g. a weight type the Vulkan kernels lack):
    // a limitation, recorded as unsupported like a peer engine's.
    if (!p.signal && p.exit_code == kExitUnsupported) r.error = "unsupported by this build: " + without_prefix(last);
    return r;
  }
  try {
    if (!json_depth_within(p.out, kMaxJsonDepth)) throw Invalid{"stdout nests JSON too deeply to be a quant.run object"};
    const json q = json::parse(p.out);
    r.sample = extract_sample(c, v, in, q);
    r.engine = engine_sections(q);
    r.status = "ok";
  } catch (const json::exception&) {
    r.status = "error";
    r.error = "stdout is not one JSON object";
    r.stderr_tail = tail_lines(p.err);
  } catch (const Invalid& e) {
    r.status = "error";
    r.error = e.what;
    r.stderr_tail = tail_lines(p.err);
  }
  return r;
}

}  // namespace quant::harness
