#include "harness/plan/cells.h"

#include <algorithm>
#include <regex>
#include <sstream>

#include "quant/error.h"
#include "quant/sha256.h"

namespace quant::harness {

const char* metric_name(Metric m) { return m == Metric::ppl ? "ppl" : m == Metric::speed ? "speed" : "counts"; }

std::string Cell::params_text() const {
  std::ostringstream s;
  if (metric == Metric::ppl)
    s << "text=" << text << " ctx=" << ctx << " chunks=" << chunks << " kld=" << kld;
  else
    s << "n_prompt=" << n_prompt << " n_gen=" << n_gen << " depth=" << depth << " inner_reps=" << inner_reps
      << (random_depth ? " depth_fill=random" : "");
  s << " threads=" << threads << " reps=" << reps << " warmup=" << warmup << " timeout_s=" << timeout_s;
  return s.str();
}

std::string cell_id(const Cell& c) {
  std::string id = c.variant + "/" + c.model + "/" + c.kv.k + "," + c.kv.v + "/";
  if (c.metric == Metric::ppl) return id + "ppl/" + c.text + "/c" + std::to_string(c.ctx);
  return id + metric_name(c.metric) + "/p" + std::to_string(c.n_prompt) + "n" + std::to_string(c.n_gen) + "/d" + std::to_string(c.depth) +
         (c.random_depth && c.depth > 0 ? "-random" : "");
}

namespace {

// The suite line of a model (the synthetic fallback has none: it takes the suite's settings).
const SuiteFile* suite_model(const Suite& suite, const std::string& name) {
  for (const auto& m : suite.models)
    if (m.name == name) return &m;
  return nullptr;
}

// One model's place in the suite: its line (if any) and the cache pairs and variants it runs.
struct ModelPlan {
  const Suite& suite;
  const Resource& model;
  const SuiteFile* line;
  const std::vector<KvPair>& kvs;
  const std::vector<std::string>& variants;

  Cell base(const KvPair& kv, const std::string& variant) const {
    Cell c;
    c.variant = variant;
    c.model = model.name;
    c.kv = kv;
    c.threads = suite.threads;
    c.timeout_s = suite.timeout_s;
    return c;
  }
};

// A generated text is only paired with a generated model (and then replaces the real texts).
bool pairs_with(const ModelPlan& mp, const Inputs& inputs, const Resource& t) {
  if (!mp.model.generated_by.empty()) return false;  // a suite's generated model: quality is refused
  if (mp.line && !mp.line->texts.empty())
    return std::find(mp.line->texts.begin(), mp.line->texts.end(), t.name) != mp.line->texts.end();
  bool synthetic_text = false;
  for (const auto& x : inputs.texts) synthetic_text |= x.synthetic;
  return mp.model.synthetic && synthetic_text ? t.synthetic : !t.synthetic;
}

void add_ppl_cells(const ModelPlan& mp, const Inputs& inputs, std::vector<Cell>& cells) {
  const Suite& suite = mp.suite;
  if (!suite.ppl) return;
  for (const auto& t : inputs.texts) {
    if (!pairs_with(mp, inputs, t)) continue;
    for (int ctx : suite.ppl->ctx)
      for (const auto& kv : mp.kvs)
        for (const auto& v : mp.variants) {
          Cell c = mp.base(kv, v);
          c.metric = Metric::ppl;
          c.text = t.name;
          c.ctx = ctx;
          c.chunks = suite.ppl->chunks;
          c.kld = suite.ppl->kld && !suite.peers.count(v);
          c.reps = suite.ppl->reps;
          c.id = cell_id(c);
          cells.push_back(c);
        }
  }
}

void add_count_cells(const ModelPlan& mp, std::vector<Cell>& cells) {
  const auto& k = mp.suite.counts;
  if (!k || (!k->models.empty() && std::find(k->models.begin(), k->models.end(), mp.model.name) == k->models.end()))
    return;
  for (int depth : k->depths)
    for (const auto& kv : k->kv.empty() ? mp.suite.kv : k->kv) {
      Cell c = mp.base(kv, k->variant);
      c.metric = Metric::counts;
      c.n_prompt = k->n_prompt;
      c.n_gen = k->n_gen;
      c.depth = depth;
      c.inner_reps = 1;
      c.reps = k->reps;
      c.threads = 1;  // counts of several threads include their waiting
      if (k->timeout_s > 0) c.timeout_s = k->timeout_s;
      c.id = cell_id(c);
      cells.push_back(c);
    }
}

void add_speed_cells(const ModelPlan& mp, std::vector<Cell>& cells) {
  const Suite& suite = mp.suite;
  if (!suite.speed) return;
  const SpeedSpec& s = mp.line && mp.line->speed ? *mp.line->speed : *suite.speed;
  for (int depth : s.depths)
    for (const auto& kv : mp.kvs)
      for (const auto& v : mp.variants) {
        Cell c = mp.base(kv, v);
        c.metric = Metric::speed;
        c.n_prompt = s.n_prompt;
        c.n_gen = s.n_gen;
        c.depth = depth;
        c.inner_reps = s.inner_reps;
        c.reps = s.reps;
        c.warmup = s.warmup;
        c.random_depth = s.random_depth && !suite.peers.count(v);  // a peer engine always prefills
        if (auto o = suite.speed_overrides.find(v); o != suite.speed_overrides.end()) {
          if (!o->second.keeps(depth, kv)) continue;
          if (o->second.reps > 0) c.reps = o->second.reps;
          if (o->second.inner_reps > 0) c.inner_reps = o->second.inner_reps;
          if (o->second.warmup >= 0) c.warmup = o->second.warmup;
        }
        c.id = cell_id(c);
        cells.push_back(c);
      }
}

}  // namespace

std::vector<Cell> plan_cells(const Suite& suite, const Inputs& inputs) {
  std::vector<Cell> cells;
  for (const auto& m : inputs.models) {
    const SuiteFile* line = suite_model(suite, m.name);
    const ModelPlan mp{suite, m, line, line && !line->kv.empty() ? line->kv : suite.kv,
                       line && !line->variants.empty() ? line->variants : suite.variants};
    add_ppl_cells(mp, inputs, cells);
    add_count_cells(mp, cells);
    add_speed_cells(mp, cells);
  }
  return cells;
}

Shard parse_shard(const std::string& text) {
  static const std::regex re("([0-9]{1,6})/([0-9]{1,6})");
  std::smatch m;
  if (!std::regex_match(text, m, re)) throw InputError("--shard: '" + text + "' is not of the form i/n (e.g. 2/4)", 2);
  Shard s{std::stoi(m[1]), std::stoi(m[2])};
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw InputError("--shard: '" + text + "' needs 1 <= i <= n", 2);
  return s;
}

std::vector<Cell> shard_cells(const std::vector<Cell>& plan, const Shard& shard) {
  std::vector<Cell> out;
  for (size_t p = 0; p < plan.size(); ++p)
    if (static_cast<int>(p % shard.count) == shard.index - 1) out.push_back(plan[p]);
  return out;
}

std::string plan_sha256(const std::vector<Cell>& plan, const Suite& suite, const Inputs& inputs) {
  std::ostringstream s;
  s << "suite " << suite.sha256 << "\n";
  for (const auto& m : inputs.models) s << "model " << m.name << " " << m.sha256 << "\n";
  for (const auto& t : inputs.texts) s << "text " << t.name << " " << t.sha256 << "\n";
  for (const auto& c : plan) s << c.id << " " << c.params_text() << "\n";
  return sha256_hex(s.str());
}

}  // namespace quant::harness
