#include "harness/plan/plan_estimate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "quant/synthetic_model.h"

namespace quant::harness {

namespace fs = std::filesystem;

std::map<std::string, double> journal_run_seconds(const std::string& reports_dir) {
  std::map<std::string, std::pair<double, int>> sum;
  std::error_code ec;
  for (const auto& run : fs::directory_iterator(reports_dir, ec)) {
    std::ifstream in(run.path() / "journal.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto line_json = nlohmann::json::parse(line, nullptr, false);
      if (!line_json.is_object() || !line_json.contains("run")) continue;  // the header, a torn line
      const auto& j = line_json["run"];
      if (!j.is_object() || !j.contains("cell") || !j.contains("wall_s") || !j["wall_s"].is_number()) continue;
      if (j.value("status", "") != "ok") continue;
      auto& [s, n] = sum[j["cell"].get<std::string>()];
      s += j["wall_s"].get<double>();
      ++n;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [id, sn] : sum) out[id] = sn.first / sn.second;
  return out;
}

namespace {

std::optional<SyntheticSpec> spec_of(const SuiteFile* line) {
  if (!line || !line->synth) return std::nullopt;
  const SynthModel& m = *line->synth;
  return synthetic_spec(m.preset, m.type, m.layers, m.ctx, m.seed);
}

double spec_params(const SyntheticSpec& s) {
  const int head_dim = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
  const double per_layer = static_cast<double>(s.n_embd) * head_dim * (2.0 * s.n_head + 2.0 * s.n_head_kv) +
                           3.0 * s.n_embd * s.n_ff;
  return per_layer * s.n_layer + static_cast<double>(s.n_embd) * s.n_vocab * (s.tied_embeddings ? 1 : 2);
}

}  // namespace

ModelCost model_cost(const Resource& model, const SuiteFile* line) {
  ModelCost c;
  std::error_code ec;
  if (model.found()) {
    const auto size = fs::file_size(model.path, ec);
    if (!ec) c.weight_bytes = static_cast<double>(size);
  }
  const auto s = spec_of(line);
  if (!s) return c;
  c.params = spec_params(*s);
  c.n_layer = s->n_layer;
  c.n_head = s->n_head;
  c.n_head_kv = s->n_head_kv;
  c.head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
  if (c.weight_bytes > 0) return c;
  double bits = 4.8;  // K-quant mixes
  for (uint32_t id = 0; id < 64; ++id)
    if (auto info = ggml_type_info(id); info && info->type == s->weight_type && info->block_elems)
      bits = 8.0 * info->block_bytes / info->block_elems;
  c.weight_bytes = c.params * bits / 8;
  return c;
}

double model_weight_bytes(const Resource& model, const SuiteFile* line) { return model_cost(model, line).weight_bytes; }

namespace {

// Weight bytes only (a model file whose shape the plan does not read): fitted to stories260K (1 MB: ~65 us
// per token), proxy-man-4m and a 2-layer TinyLlama-shape Q4_0 (124 MB: ~20 ms per decoded token) on one
// thread of this project's 2-core CI machine kind: decode streams the weights (from cache when they fit),
// prompt tokens are batched (about 3x cheaper, 50 us at least).
double bytes_only_run_seconds(const Cell& c, double weight_bytes) {
  const double bandwidth = weight_bytes < 32e6 ? 20e9 : 6e9;
  const double tg_token = weight_bytes / bandwidth + 10e-6, pp_token = std::max(tg_token / 3, 50e-6);
  const double load = 0.05 + weight_bytes / 1.5e9;
  if (c.metric == Metric::ppl) {
    const int chunks = c.chunks ? c.chunks : 40;
    return load + chunks * c.ctx * pp_token * (c.kld ? 2 : 1);
  }
  const double rep = c.n_prompt * pp_token + c.n_gen * tg_token;
  // A random depth fill encodes keys and values without running the model: a few microseconds per token.
  const double fill_token = c.random_depth ? 5e-6 : pp_token;
  return load + c.depth * fill_token + (c.inner_reps + 1) * rep;  // quant --bench runs one unmeasured rep first
}

// With the shape: per token, work in proportion to the parameters, plus attention over the tokens already
// cached; loading copies the weights into huge pages. Fitted on one thread of the 2-core AMD EPYC VM
// (generated SmolLM2-135M, Qwen3-0.6B, TinyLlama-1.1B Q8_0 and Llama-3.2-1B, pp64/tg16 at depths 0 and 4096,
// turbo_kv_4b / fp16: within 25% of each measured token time); threads divide the work.
double shaped_run_seconds(const Cell& c, const ModelCost& m) {
  const double threads = std::max(1, c.threads);
  const double load = 0.5 + m.weight_bytes / 0.35e9;
  const double attention_mac = 2.0 * m.n_layer * m.n_head * m.head_dim;  // per token and cached position
  auto attend = [&](double positions) { return attention_mac * positions / 20e9; };
  const double pp_token = 1.2e-3 + m.params * 16e-12, tg_token = 4e-3 + m.params * 32e-12;
  if (c.metric == Metric::ppl) {
    const int chunks = c.chunks ? c.chunks : 40;
    return load + chunks * c.ctx * (pp_token + attend(c.ctx / 2.0)) * (c.kld ? 2 : 1) / threads;
  }
  const double rep = c.n_prompt * (pp_token + attend(c.depth + c.n_prompt / 2.0)) +
                     c.n_gen * (tg_token + attend(c.depth + c.n_gen / 2.0));
  const double fill = c.random_depth ? c.depth * 2.0 * m.n_layer * m.n_head_kv * m.head_dim * 16e-9
                                     : c.depth * (pp_token + attend(c.depth / 2.0)) / threads;
  return load + fill + (c.inner_reps + 1) * rep / threads;  // quant --bench runs one unmeasured rep first
}

}  // namespace

double model_size_run_seconds(const Cell& c, const ModelCost& m) {
  return m.n_layer > 0 && m.params > 0 ? shaped_run_seconds(c, m) : bytes_only_run_seconds(c, m.weight_bytes);
}

std::map<std::string, double> variant_factors(const std::map<std::string, double>& run_seconds,
                                              const std::string& reference) {
  std::map<std::string, std::vector<double>> ratios;
  for (const auto& [id, seconds] : run_seconds) {
    const auto slash = id.find('/');
    if (slash == std::string::npos || id.compare(0, slash, reference) == 0) continue;
    const auto ref = run_seconds.find(reference + id.substr(slash));
    if (ref == run_seconds.end() || ref->second <= 0) continue;
    ratios[id.substr(0, slash)].push_back(seconds / ref->second);
  }
  std::map<std::string, double> out;
  for (auto& [variant, r] : ratios) {
    std::sort(r.begin(), r.end());
    const size_t n = r.size();
    out[variant] = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
  }
  return out;
}

namespace {

// The variant the model-size estimate describes: the suite's first build of this engine.
std::string reference_variant(const Suite& suite) {
  for (const auto& v : suite.variants)
    if (!suite.peers.count(v)) return v;
  return suite.variants.empty() ? "" : suite.variants.front();
}

const SuiteFile* model_line(const Suite& suite, const std::string& name) {
  for (const auto& l : suite.models)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace

PlanEstimate estimate_plan(const std::vector<Cell>& cells, const Suite& suite, const Inputs& inputs,
                           const std::string& reports_dir, const std::function<bool(const Cell&)>& not_run) {
  const auto seen = journal_run_seconds(reports_dir);
  PlanEstimate e;
  e.variant_factor = variant_factors(seen, reference_variant(suite));
  for (const auto& c : cells) {
    ++e.cells;
    e.runs += c.runs();
    double per_run = 0;
    if (not_run && not_run(c)) {
      ++e.not_run;
    } else if (auto it = seen.find(c.id); it != seen.end()) {
      per_run = it->second;
      ++e.from_journal;
    } else {
      const Resource* m = inputs.model(c.model);
      per_run = model_size_run_seconds(c, m ? model_cost(*m, model_line(suite, c.model)) : ModelCost{});
      if (auto f = e.variant_factor.find(c.variant); f != e.variant_factor.end()) per_run *= f->second;
      ++e.from_model_size;
    }
    e.cell_seconds.push_back(per_run * c.runs());
    e.seconds += e.cell_seconds.back();
  }
  return e;
}

}  // namespace quant::harness
