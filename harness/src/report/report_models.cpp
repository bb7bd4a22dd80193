// "Across model sizes": one table over every model of a sweep (the release notes' table of the
// accelerator build against the default build per model, and each model's size, head dim and cache).
#include "harness/report/report_models.h"

#include <sstream>

#include "harness/report/report_cells.h"
#include "harness/stats/format.h"
#include "harness/util/json_check.h"

namespace quant::harness {

namespace {

const CellResult* speed_cell(const Results& r, const std::string& variant, const std::string& model, const KvPair& kv,
                             int depth) {
  return find_cell(r, variant, model, kv, Metric::speed, "", depth);
}

// The KV pair the table uses for a model: the default pair users get when measured, else fp32.
std::optional<KvPair> table_pair(const Results& r, const std::string& variant, const std::string& model) {
  std::optional<KvPair> fallback;
  for (const auto& c : r.cells) {
    if (c.cell.metric != Metric::speed || c.cell.variant != variant || c.cell.model != model) continue;
    if (c.cell.kv == kDefaultKvPair) return c.cell.kv;
    if (!fallback || c.cell.kv == KvPair{"fp32", "fp32"}) fallback = c.cell.kv;
  }
  return fallback;
}

std::string rate(const Analysis& a, const CellResult* c, const char* m) {
  if (!c) return kDash;
  if (!c->ok()) return c->status;
  const MeasureStats* s = a.find(c->cell.id, m);
  return s ? fmt_rate_ci(s->summary.median, s->ci) : kDash;
}

std::string size_text(const CellResult* c) {
  if (!c || c->engine.is_null() || !c->engine.contains("model")) return kDash;
  const auto& m = member(c->engine, "model");
  return fmt("%.1f", number_of(m, "n_params") / 1e6) + " M, " + fmt("%.0f", number_of(m, "n_layer")) + " layers, head_dim " +
         fmt("%.0f", number_of(m, "head_dim"));
}

}  // namespace

std::string render_model_sizes(const Results& r, const Analysis& a, const std::string& h) {
  const VariantResult& def = r.default_variant();
  int speed_models = 0;
  for (const auto& m : r.inputs.models) speed_models += table_pair(r, def.variant.name, m.name).has_value();
  if (speed_models < 2) return "";
  std::ostringstream o;
  o << h << " Across model sizes\n\n";
  o << "Generation (tg) and prompt (pp) tok/s of the default build `" << def.variant.name
    << "` per model and depth, with the default cache (" << kDefaultKvPair.k << " keys / " << kDefaultKvPair.v
    << " values; fp32 where the suite leaves it out), and every other built variant's speed relative to it "
       "(ratio of medians [95% bootstrap CI]).\n\n";
  o << "| Model | size | cache (K / V) | depth | pp tok/s | tg tok/s |";
  std::vector<const VariantResult*> others;
  for (const auto& v : r.variants)
    if (!v.variant.is_default && v.build.built) others.push_back(&v);
  for (const auto* v : others) o << " `" << v->variant.name << "` pp vs default | `" << v->variant.name << "` tg vs default |";
  o << "\n|---|---|---|---:|---:|---:|";
  for (size_t i = 0; i < others.size(); ++i) o << "---:|---:|";
  o << "\n";
  for (const auto& m : r.inputs.models) {
    const auto kv = table_pair(r, def.variant.name, m.name);
    if (!kv) continue;
    std::vector<int> depths;
    for (const auto& c : r.cells)
      if (c.cell.metric == Metric::speed && c.cell.model == m.name && c.cell.kv == *kv && c.cell.variant == def.variant.name)
        depths.push_back(c.cell.depth);
    for (int depth : depths) {
      const CellResult* d = speed_cell(r, def.variant.name, m.name, *kv, depth);
      o << "| `" << m.name << "`" << (m.synthetic ? " (synthetic weights)" : "") << " | " << size_text(d) << " | "
        << kv->k << " / " << kv->v << " | " << depth << " | " << rate(a, d, "pp_tok_s") << " | " << rate(a, d, "tg_tok_s")
        << " |";
      for (const auto* v : others) {
        const CellResult* x = speed_cell(r, v->variant.name, m.name, *kv, depth);
        for (const char* measure : {"pp_tok_s", "tg_tok_s"}) {
          const Comparison* cmp = x ? a.compare("variant_vs_default", x->cell.id, measure) : nullptr;
          o << " " << (cmp ? fmt_ratio_ci(cmp->ratio, cmp->ci) : std::string(x ? x->status : kDash)) << " |";
        }
      }
      o << "\n";
    }
  }
  o << "\n";
  return o.str();
}

}  // namespace quant::harness
