#include "harness/plan/plan_estimate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
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

double model_weight_bytes(const Resource& model, const SuiteFile* line) {
  std::error_code ec;
  if (model.found()) {
    const auto size = fs::file_size(model.path, ec);
    if (!ec) return static_cast<double>(size);
  }
  if (!line || !line->synth) return 0;
  const SynthModel& m = *line->synth;
  const auto s = synthetic_spec(m.preset, m.type, m.layers, m.ctx, m.seed);
  if (!s) return 0;
  const int head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
  const double per_layer = static_cast<double>(s->n_embd) * head_dim * (2.0 * s->n_head + 2.0 * s->n_head_kv) +
                           3.0 * s->n_embd * s->n_ff;
  const double params = per_layer * s->n_layer + static_cast<double>(s->n_embd) * s->n_vocab * (s->tied_embeddings ? 1 : 2);
  double bits = 4.8;  // K-quant mixes
  for (uint32_t id = 0; id < 64; ++id)
    if (auto info = ggml_type_info(id); info && info->type == s->weight_type && info->block_elems)
      bits = 8.0 * info->block_bytes / info->block_elems;
  return params * bits / 8;
}

double model_size_run_seconds(const Cell& c, double weight_bytes) {
  // One thread on this project's 2-core CI machine kind, fitted to stories260K (1 MB: ~65 us per token),
  // proxy-man-4m and a 2-layer TinyLlama-shape Q4_0 (124 MB: ~20 ms per decoded token): decode streams the
  // weights (from cache when they fit), prompt tokens are batched (about 3x cheaper, 50 us at least).
  const double bandwidth = weight_bytes < 32e6 ? 20e9 : 6e9;
  const double tg_token = weight_bytes / bandwidth + 10e-6, pp_token = std::max(tg_token / 3, 50e-6);
  const double load = 0.05 + weight_bytes / 1.5e9;
  if (c.metric == Metric::ppl) {
    const int chunks = c.chunks ? c.chunks : 40;
    return load + chunks * c.ctx * pp_token * (c.kld ? 2 : 1);
  }
  const double rep = c.n_prompt * pp_token + c.n_gen * tg_token;
  return load + c.depth * pp_token + (c.inner_reps + 1) * rep;  // quant --bench runs one unmeasured rep first
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
      per_run = model_size_run_seconds(c, m ? model_weight_bytes(*m, model_line(suite, c.model)) : 0);
      if (auto f = e.variant_factor.find(c.variant); f != e.variant_factor.end()) per_run *= f->second;
      ++e.from_model_size;
    }
    e.cell_seconds.push_back(per_run * c.runs());
    e.seconds += e.cell_seconds.back();
  }
  return e;
}

}  // namespace quant::harness
