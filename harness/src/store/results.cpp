#include "harness/store/results.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "harness/util/json_check.h"
#include "harness/measure/sample_check.h"
#include "quant/build_info.h"
#include "quant/kv_types.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

const VariantResult* Results::variant(const std::string& name) const {
  for (const auto& v : variants)
    if (v.variant.name == name) return &v;
  return nullptr;
}

const VariantResult& Results::default_variant() const {
  for (const auto& v : variants)
    if (v.variant.is_default) return v;
  throw InputError("results of run " + run_id + " have no default variant");
}

const CellResult* Results::cell(const std::string& id) const {
  for (const auto& c : cells)
    if (c.cell.id == id) return &c;
  return nullptr;
}

int sweep_exit_code(const Results& r) {
  bool failed = false, absent = false;
  for (const auto& c : r.cells) {
    failed |= c.status == "error" || c.status == "incomplete";
    absent |= c.status == "missing" || c.status == "unsupported";
  }
  return failed ? 1 : absent ? 3 : 0;
}

void settle_status(CellResult& c) {
  if (c.status == "missing" || c.status == "unsupported") return;
  c.engine = json();
  for (const auto& r : c.runs) {
    if (!r.ok()) {
      // A peer engine saying it cannot do what the cell asks is a limitation, not a failure.
      const bool limitation = r.status == "error" && r.error.starts_with("unsupported by ");
      c.status = limitation ? "unsupported" : "error";
      c.reason = (r.status == "timeout" ? "timeout: " : "") + r.error;
      return;
    }
    if (c.engine.is_null()) c.engine = r.engine;
  }
  if (static_cast<int>(c.runs.size()) < c.cell.runs()) {
    c.status = "incomplete";
    c.reason = std::to_string(c.runs.size()) + " of " + std::to_string(c.cell.runs()) + " runs done";
    return;
  }
  c.status = "ok";
  c.reason.clear();
}

json harness_build_info() {
  const BuildInfo& b = build_info();
  return json{{"git_commit", b.git_commit}, {"git_dirty", b.git_dirty}, {"compiler", b.compiler},
              {"build_type", b.build_type}};
}

json system_info() {
  std::string cpu = "unknown";
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  struct utsname u {};
  const std::string os = uname(&u) == 0 ? std::string(u.sysname) + " " + u.release + " " + u.machine : "unknown";
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return json{{"cpu_model", cpu}, {"n_cores", std::thread::hardware_concurrency()}, {"os", os}, {"hostname", host}};
}

namespace {

json variant_json(const VariantResult& v) {
  const Variant& x = v.variant;
  json j{{"name", x.name}, {"description", x.description}, {"default", x.is_default}, {"backend", x.backend},
              {"build_type", x.build_type}, {"cmake_options", x.cmake_options}, {"env", x.env},
              {"build_dir", x.build_dir}, {"build", to_json(v.build)}};
  if (x.is_peer()) j.update({{"kind", x.kind}, {"bin_dir", x.bin_dir}, {"flash_attn", x.flash_attn}});
  return j;
}

json resource_json(const Resource& r) {
  return json{{"name", r.name}, {"file", r.file}, {"path", r.path}, {"found", r.found()}, {"searched", r.searched},
              {"sha256", r.sha256}, {"synthetic", r.synthetic}, {"generated_by", r.generated_by}};
}

json cell_json(const CellResult& c) {
  const Cell& x = c.cell;
  json j{{"id", x.id}, {"plan_index", c.plan_index}, {"variant", x.variant}, {"model", x.model},
         {"metric", metric_name(x.metric)}, {"k_type", x.kv.k}, {"v_type", x.kv.v}, {"threads", x.threads},
         {"reps", x.reps}, {"warmup", x.warmup}, {"timeout_s", x.timeout_s}, {"status", c.status}};
  if (x.metric == Metric::ppl) {
    j["text"] = x.text;
    j["params"] = {{"ctx", x.ctx}, {"chunks", x.chunks}, {"kld", x.kld}};
  } else {
    j["params"] = {{"n_prompt", x.n_prompt}, {"n_gen", x.n_gen}, {"depth", x.depth}, {"inner_reps", x.inner_reps}};
    if (x.random_depth) j["params"]["depth_fill"] = "random";
  }
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (!c.engine.is_null()) j["engine"] = c.engine;
  j["runs"] = json::array();
  for (const auto& r : c.runs) j["runs"].push_back(to_json(r, false));
  return j;
}

Variant variant_from(const JsonNode& n) {
  Variant v;
  v.name = n.at("name").plain_name();
  v.description = n.at("description").str_or_empty();
  v.is_default = n.at("default").boolean();
  v.backend = n.at("backend").str();
  v.build_type = n.at("build_type").str();
  v.build_dir = n.at("build_dir").str_or_empty();
  for (const auto& k : n.at("cmake_options").keys()) v.cmake_options[k] = n.at("cmake_options").at(k).str_or_empty();
  for (const auto& k : n.at("env").keys()) v.env[k] = n.at("env").at(k).str_or_empty();
  if (auto k = n.opt("kind")) v.kind = k->str();  // absent: a quant build (files written before peers)
  if (auto d = n.opt("bin_dir")) v.bin_dir = d->strings();
  if (auto f = n.opt("flash_attn")) v.flash_attn = f->str();
  return v;
}

Resource resource_from(const JsonNode& n) {
  Resource r;
  r.name = n.at("name").plain_name();
  r.file = n.at("file").str();
  r.path = n.at("path").str_or_empty();
  for (const auto& s : n.at("searched").items()) r.searched.push_back(s.str_or_empty());
  r.sha256 = n.at("sha256").str_or_empty();
  r.synthetic = n.at("synthetic").boolean();
  if (auto g = n.opt("generated_by")) r.generated_by = g->str_or_empty();  // absent before generated models
  return r;
}

RunRecord run_from(const JsonNode& n, const Cell& cell) {
  RunRecord r;
  r.cell = n.at("cell").str();
  r.index = static_cast<int>(n.at("index").integer(0, 1 << 30));
  r.warmup = n.at("warmup").boolean();
  r.status = n.at("status").str();
  if (r.status != "ok" && r.status != "error" && r.status != "timeout") n.at("status").fail("unknown run status");
  r.exit_code = static_cast<int>(n.at("exit_code").integer(-1, 255));
  r.wall_s = n.at("wall_s").number(0, 1e9);
  r.date = n.at("date").str_or_empty();
  if (auto e = n.opt("error")) r.error = e->str_or_empty();
  if (auto e = n.opt("stderr_tail")) r.stderr_tail = e->str_or_empty();
  if (auto s = n.opt("sample")) {
    if (r.ok()) check_sample(*s, cell);
    else if (!s->is_object()) s->fail("expected an object");
    r.sample = s->raw();
  }
  if (r.ok() && r.sample.is_null()) n.fail("an ok run needs a \"sample\"");
  return r;
}

CellResult cell_from(const JsonNode& n) {
  CellResult c;
  Cell& x = c.cell;
  x.id = n.at("id").str();
  c.plan_index = static_cast<int>(n.at("plan_index").integer(0, 1 << 30));
  x.variant = n.at("variant").str();
  x.model = n.at("model").str();
  const std::string metric = n.at("metric").str();
  if (metric != "ppl" && metric != "speed" && metric != "counts")
    n.at("metric").fail("expected \"ppl\", \"speed\" or \"counts\"");
  x.metric = metric == "ppl" ? Metric::ppl : metric == "speed" ? Metric::speed : Metric::counts;
  x.kv = {n.at("k_type").str(), n.at("v_type").str()};
  for (const char* k : {"k_type", "v_type"})
    if (!parse_kv_type(n.at(k).str())) n.at(k).fail("unknown KV cache type (valid: " + kv_type_list() + ")");
  x.threads = static_cast<int>(n.at("threads").integer(1, 1024));
  x.reps = static_cast<int>(n.at("reps").integer(1, 1 << 20));
  x.warmup = static_cast<int>(n.at("warmup").integer(0, 1 << 20));
  x.timeout_s = n.at("timeout_s").number(0, 1e9);
  const JsonNode p = n.at("params");
  if (x.metric == Metric::ppl) {
    x.text = n.at("text").str();
    x.ctx = static_cast<int>(p.at("ctx").integer(1, 1 << 24));
    x.chunks = static_cast<int>(p.at("chunks").integer(0, 1 << 24));
    x.kld = p.at("kld").boolean();
  } else {
    x.n_prompt = static_cast<int>(p.at("n_prompt").integer(0, 1 << 24));
    x.n_gen = static_cast<int>(p.at("n_gen").integer(0, 1 << 24));
    x.depth = static_cast<int>(p.at("depth").integer(0, 1 << 24));
    x.inner_reps = static_cast<int>(p.at("inner_reps").integer(1, 1 << 20));
    if (auto f = p.opt("depth_fill")) {
      if (f->str() != "random" && f->str() != "prefill") f->fail("unknown depth fill (valid: prefill, random)");
      x.random_depth = f->str() == "random";
    }
  }
  c.status = n.at("status").str();
  static const std::set<std::string> statuses = {"ok", "error", "missing", "unsupported", "incomplete"};
  if (!statuses.count(c.status)) n.at("status").fail("unknown cell status");
  if (auto r = n.opt("reason")) c.reason = r->str_or_empty();
  if (auto e = n.opt("engine")) {
    check_engine(*e);
    c.engine = e->raw();
  }
  const std::vector<JsonNode> runs = n.at("runs").items();
  if (static_cast<int>(runs.size()) > x.runs())
    n.at("runs").fail(std::to_string(runs.size()) + " runs, more than the cell's " + std::to_string(x.runs()) +
                      " (warmup + reps)");
  for (const auto& r : runs) {
    c.runs.push_back(run_from(r, x));
    if (c.runs.back().cell != x.id) r.at("cell").fail("run belongs to another cell");
    if (c.runs.back().index != static_cast<int>(c.runs.size()) - 1)
      r.at("index").fail("expected run index " + std::to_string(c.runs.size() - 1));
  }
  return c;
}

// What a peer engine's build record holds (peer_llamacpp.cpp writes it; the report reads it).
void check_peer_record(const JsonNode& peer) {
  check_field_types(peer, {"engine", "bin_dir", "bin_dir_from", "version", "readme"});
  for (const char* k : {"files", "readme_table"})
    if (auto x = peer.opt(k))
      for (const auto& name : x->keys()) x->at(name).str_or_empty();
}

}  // namespace

json results_to_json(const Results& r, const json& analysis) {
  json j;
  j["schema"] = "bench-all.results";
  j["schema_version"] = kResultsSchemaVersion;
  j["run"] = {{"id", r.run_id},
              {"started", r.started},
              {"finished", r.finished},
              {"wall_s", r.wall_s},
              {"command", r.command},
              {"suite", {{"name", r.suite_name}, {"file", r.suite_file}, {"sha256", r.suite_sha256},
                         {"description", r.suite_description}}},
              {"plan_sha256", r.plan_sha256},
              {"plan_cells", r.plan_cells},
              {"shard", r.shard.empty() ? json(nullptr) : json(r.shard)}};
  j["run"]["merged_from"] = json::array();
  for (const auto& s : r.merged_from)
    j["run"]["merged_from"].push_back({{"shard", s.shard}, {"started", s.started}, {"finished", s.finished},
                                       {"system", s.system}});
  j["provenance"] = {{"harness", r.harness}, {"system", r.system}};
  j["variants"] = json::array();
  for (const auto& v : r.variants) j["variants"].push_back(variant_json(v));
  j["models"] = json::array();
  for (const auto& m : r.inputs.models) j["models"].push_back(resource_json(m));
  j["texts"] = json::array();
  for (const auto& t : r.inputs.texts) j["texts"].push_back(resource_json(t));
  j["cells"] = json::array();
  for (const auto& c : r.cells) j["cells"].push_back(cell_json(c));
  j["analysis"] = analysis;
  return j;
}

Results load_results(const std::string& path) {
  const json doc = read_json_file(path);
  const JsonNode root(doc, path);
  check_schema(root, "bench-all.results", kResultsSchemaVersion);
  Results r;
  const JsonNode run = root.at("run");
  r.run_id = run.at("id").str();
  r.started = run.at("started").str_or_empty();
  r.finished = run.at("finished").str_or_empty();
  r.wall_s = run.at("wall_s").number(0, 1e12);
  r.command = run.at("command").str_or_empty();
  const JsonNode suite = run.at("suite");
  r.suite_name = suite.at("name").plain_name();
  r.suite_file = suite.at("file").str_or_empty();
  r.suite_sha256 = suite.at("sha256").str_or_empty();
  r.suite_description = suite.at("description").str_or_empty();
  r.plan_sha256 = run.at("plan_sha256").str();
  r.plan_cells = static_cast<int>(run.at("plan_cells").integer(0, 1 << 30));
  if (!run.at("shard").raw().is_null()) r.shard = run.at("shard").str();
  for (const auto& s : run.at("merged_from").items())
    r.merged_from.push_back({s.at("shard").str(), s.at("started").str_or_empty(), s.at("finished").str_or_empty(),
                             s.at("system").raw()});
  const JsonNode prov = root.at("provenance");
  check_field_types(prov.at("harness"), {"git_commit", "compiler", "build_type"}, {"git_dirty"});
  check_field_types(prov.at("system"), {"cpu_model", "os", "hostname"}, {}, {"n_cores"});
  r.harness = prov.at("harness").raw();
  r.system = prov.at("system").raw();
  int defaults = 0;
  for (const auto& v : root.at("variants").items()) {
    VariantResult vr{variant_from(v), {}};
    try {
      vr.build = variant_build_from_json(v.at("build").raw());
    } catch (const json::exception&) {
      v.at("build").fail("not a valid build record");
    }
    if (auto peer = v.at("build").opt("peer"); peer && !peer->raw().is_null()) check_peer_record(*peer);
    defaults += vr.variant.is_default;
    r.variants.push_back(vr);
  }
  if (defaults != 1) root.at("variants").fail("exactly one variant must be the default");
  for (const auto& m : root.at("models").items()) r.inputs.models.push_back(resource_from(m));
  for (const auto& t : root.at("texts").items()) r.inputs.texts.push_back(resource_from(t));
  std::set<std::string> ids;
  for (const auto& c : root.at("cells").items()) {
    r.cells.push_back(cell_from(c));
    const Cell& x = r.cells.back().cell;
    if (!ids.insert(x.id).second) c.at("id").fail("duplicate cell id");
    if (!r.variant(x.variant)) c.at("variant").fail("unknown variant '" + x.variant + "'");
    if (!r.inputs.model(x.model)) c.at("model").fail("unknown model '" + x.model + "'");
    if (x.metric == Metric::ppl && !r.inputs.text(x.text)) c.at("text").fail("unknown text '" + x.text + "'");
  }
  return r;
}

Results merge_results(const std::vector<Results>& shards, const std::vector<std::string>& files) {
  if (shards.empty()) throw InputError("merge: no results files given", 2);
  const Results& first = shards[0];
  std::set<int> seen_shards;
  int count = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const Results& s = shards[i];
    if (s.shard.empty()) throw InputError(files[i] + ": not a shard (run with --shard i/n)");
    const Shard sh = parse_shard(s.shard);
    if (i == 0) count = sh.count;
    if (sh.count != count)
      throw InputError(files[i] + ": shard " + s.shard + " is not one of " + std::to_string(count) + " shards");
    if (!seen_shards.insert(sh.index).second) throw InputError(files[i] + ": shard " + s.shard + " given twice");
    if (s.plan_sha256 != first.plan_sha256)
      throw InputError(files[i] + ": a different plan than " + files[0] +
                       " (suite, models, texts or cells differ: plan_sha256 " + s.plan_sha256.substr(0, 12) + " vs " +
                       first.plan_sha256.substr(0, 12) + ")");
  }
  if (static_cast<int>(seen_shards.size()) != count) {
    std::string missing;
    for (int k = 1; k <= count; ++k)
      if (!seen_shards.count(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(count);
    throw InputError("merge: shards missing: " + missing);
  }
  Results m = first;
  m.shard.clear();
  m.cells.clear();
  m.merged_from.clear();
  m.started = first.started;
  m.finished = first.finished;
  m.wall_s = 0;
  std::map<std::string, VariantBuild> builds;
  for (const auto& s : shards) {
    m.merged_from.push_back({s.shard, s.started, s.finished, s.system});
    m.started = std::min(m.started, s.started);
    m.finished = std::max(m.finished, s.finished);
    m.wall_s = std::max(m.wall_s, s.wall_s);
    for (const auto& c : s.cells) m.cells.push_back(c);
    for (const auto& v : s.variants)
      if (v.build.built && !builds.count(v.variant.name)) builds[v.variant.name] = v.build;
  }
  for (auto& v : m.variants)
    if (builds.count(v.variant.name)) v.build = builds[v.variant.name];
  std::sort(m.cells.begin(), m.cells.end(), [](const CellResult& a, const CellResult& b) { return a.plan_index < b.plan_index; });
  if (static_cast<int>(m.cells.size()) != m.plan_cells)
    throw InputError("merge: the shards hold " + std::to_string(m.cells.size()) + " cells, the plan has " +
                     std::to_string(m.plan_cells));
  m.run_id = first.run_id + "-merged";
  m.command = "bench-all merge";
  return m;
}

}  // namespace quant::harness
