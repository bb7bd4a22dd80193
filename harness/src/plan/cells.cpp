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
    s << "n_prompt=" << n_prompt << " n_gen=" << n_gen << " depth=" << depth << " inner_reps=" << inner_reps;
  s << " threads=" << threads << " reps=" << reps << " warmup=" << warmup << " timeout_s=" << timeout_s;
  return s.str();
}

std::string cell_id(const Cell& c) {
  std::string id = c.variant + "/" + c.model + "/" + c.kv.k + "," + c.kv.v + "/";
  if (c.metric == Metric::ppl) return id + "ppl/" + c.text + "/c" + std::to_string(c.ctx);
  return id + metric_name(c.metric) + "/p" + std::to_string(c.n_prompt) + "n" + std::to_string(c.n_gen) + "/d" + std::to_string(c.depth);
}

namespace {

// The suite line of a model (the synthetic fallback has none: it takes the suite's settings).
const SuiteFile* suite_model(const Suite& suite, const std::string& name) {
  for (const auto& m : suite.models)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace

std::vector<Cell> plan_cells(const Suite& suite, const Inputs& inputs) {
  std::vector<Cell> cells;
  auto base = [&](const std::string& model, const KvPair& kv, const std::string& variant) {
    Cell c;
    c.variant = variant;
    c.model = model;
    c.kv = kv;
    c.threads = suite.threads;
    c.timeout_s = suite.timeout_s;
    return c;
  };
  for (const auto& m : inputs.models) {
    const SuiteFile* line = suite_model(suite, m.name);
    const std::vector<KvPair>& kvs = line && !line->kv.empty() ? line->kv : suite.kv;
    const std::vector<std::string>& variants = line && !line->variants.empty() ? line->variants : suite.variants;
    // A generated text is only paired with a generated model (and then replaces the real texts).
    bool synthetic_text = false;
    for (const auto& t : inputs.texts) synthetic_text |= t.synthetic;
    auto pairs_with = [&](const Resource& t) {
      if (!m.generated_by.empty()) return false;  // a suite's generated model: quality is refused
      if (line && !line->texts.empty())
        return std::find(line->texts.begin(), line->texts.end(), t.name) != line->texts.end();
      return m.synthetic && synthetic_text ? t.synthetic : !t.synthetic;
    };
    if (suite.ppl)
      for (const auto& t : inputs.texts) {
        if (!pairs_with(t)) continue;
        for (int ctx : suite.ppl->ctx)
          for (const auto& kv : kvs)
            for (const auto& v : variants) {
              Cell c = base(m.name, kv, v);
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
    if (const auto& k = suite.counts;
        k && (k->models.empty() || std::find(k->models.begin(), k->models.end(), m.name) != k->models.end()))
      for (int depth : k->depths)
        for (const auto& kv : k->kv.empty() ? suite.kv : k->kv) {
          Cell c = base(m.name, kv, k->variant);
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
    if (!suite.speed) continue;
    const SpeedSpec& s = line && line->speed ? *line->speed : *suite.speed;
    for (int depth : s.depths)
      for (const auto& kv : kvs)
        for (const auto& v : variants) {
          Cell c = base(m.name, kv, v);
          c.metric = Metric::speed;
          c.n_prompt = s.n_prompt;
          c.n_gen = s.n_gen;
          c.depth = depth;
          c.inner_reps = s.inner_reps;
          c.reps = s.reps;
          c.warmup = s.warmup;
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
