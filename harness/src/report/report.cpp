#include "harness/report/report.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "harness/measure/sample.h"
#include "harness/report/report_cells.h"
#include "harness/stats/format.h"
#include "harness/report/report_peer.h"
#include "harness/report/report_models.h"
#include "harness/util/json_check.h"

namespace quant::harness {

using nlohmann::json;

namespace {

std::string status_word(const CellResult* c) {
  if (!c) return "not measured";
  return c->status;
}

bool is_synthetic(const Results& r, const std::string& model) {
  const Resource* m = r.inputs.model(model);
  return m && m->synthetic;
}

std::string model_title(const Results& r, const std::string& model) {
  return "`" + model + "`" + (is_synthetic(r, model) ? " (synthetic weights)" : "");
}

// Distinct values in plan order.
template <class T, class F>
std::vector<T> distinct(const std::vector<CellResult>& cells, F key) {
  std::vector<T> out;
  for (const auto& c : cells) {
    auto k = key(c);
    if (k && std::find(out.begin(), out.end(), *k) == out.end()) out.push_back(*k);
  }
  return out;
}

struct ModelView {
  const Results& r;
  const Analysis& a;
  std::string model;
  std::vector<KvPair> kvs;
  std::vector<int> depths;
  std::vector<std::pair<std::string, int>> ppl_points;  // (text, ctx)

  const CellResult* find(const std::string& variant, const KvPair& kv, Metric m, const std::string& text, int ctx_or_depth) const {
    return find_cell(r, variant, model, kv, m, text, ctx_or_depth);
  }
};

ModelView view(const Results& r, const Analysis& a, const std::string& model) {
  ModelView v{r, a, model, {}, {}, {}};
  std::vector<CellResult> mine;
  for (const auto& c : r.cells)
    if (c.cell.model == model) mine.push_back(c);
  v.kvs = distinct<KvPair>(mine, [](const CellResult& c) { return std::optional<KvPair>(c.cell.kv); });
  v.depths = distinct<int>(mine, [](const CellResult& c) {
    return c.cell.metric == Metric::speed ? std::optional<int>(c.cell.depth) : std::nullopt;
  });
  v.ppl_points = distinct<std::pair<std::string, int>>(mine, [](const CellResult& c) {
    return c.cell.metric == Metric::ppl ? std::optional(std::make_pair(c.cell.text, c.cell.ctx)) : std::nullopt;
  });
  return v;
}

// The measure a speed headline uses: generation when measured, else prompt processing.
std::string headline_measure(const CellResult* c) {
  if (c && c->cell.n_gen == 0) return "pp_tok_s";
  return "tg_tok_s";
}

std::string rate_text(const Analysis& a, const CellResult* c, const std::string& measure) {
  if (!c || !c->ok()) return status_word(c);
  const MeasureStats* m = a.find(c->cell.id, measure);
  if (!m) return kDash;
  return fmt_rate_ci(m->summary.median, m->ci) + (m->flags.empty() ? "" : " ⚠");
}

std::string vs_fp32_text(const Analysis& a, const CellResult* c, const std::string& measure) {
  if (!c || !c->ok()) return kDash;
  if (c->cell.kv == KvPair{"fp32", "fp32"}) return "1.000x (reference)";
  const Comparison* cmp = a.compare("kv_vs_fp32", c->cell.id, measure);
  if (!cmp) return "n/a (no fp32 cell)";
  return fmt_ratio_ci(cmp->ratio, cmp->ci) + (cmp->flags.empty() ? "" : " ⚠");
}

double kv_num(const CellResult* c, const char* key) {
  return c ? number_of(member(c->engine, "kv"), key, -1) : -1;
}

double compression(const CellResult* c, const char* key) {
  return c ? number_of(member(member(c->engine, "kv"), "compression"), key, -1) : -1;
}

// Bytes of one stored head vector ("block": head_dim elements, headers included).
std::string bytes_per_block(const CellResult* c) {
  if (!c || c->engine.is_null() || !c->engine.contains("model")) return kDash;
  const json& m = member(c->engine, "model");
  const double vectors = number_of(m, "n_layer") * number_of(m, "n_head_kv");
  if (vectors <= 0) return kDash;
  const double kb = kv_num(c, "k_bytes_per_token") / vectors, vb = kv_num(c, "v_bytes_per_token") / vectors;
  if (c->cell.kv.k == c->cell.kv.v) return fmt("%.0f", kb);
  return "K " + fmt("%.0f", kb) + " / V " + fmt("%.0f", vb);
}

// The first ok cell of a KV pair (any metric) holds the cache geometry.
const CellResult* geometry_cell(const ModelView& v, const std::string& variant, const KvPair& kv) {
  for (const auto& c : v.r.cells)
    if (c.cell.variant == variant && c.cell.model == v.model && c.cell.kv == kv && c.ok() && !c.engine.is_null())
      return &c;
  return nullptr;
}

// What quant warned about a KV pair on this model ("wrong for the model"), from any ok cell of it.
std::vector<std::string> kv_warnings(const ModelView& v, const std::string& variant, const KvPair& kv) {
  const CellResult* g = geometry_cell(v, variant, kv);
  std::vector<std::string> out;
  if (g && member(g->engine, "warnings").is_array())
    for (const auto& w : member(g->engine, "warnings"))
      if (w.is_string()) out.push_back(w.get<std::string>());
  return out;
}

std::string kv_cell_label(const ModelView& v, const std::string& variant, const KvPair& kv) {
  return kv_label(kv) + (kv_warnings(v, variant, kv).empty() ? "" : " ⚠ warned");
}

void warning_notes(std::ostringstream& o, const ModelView& v, const std::string& variant) {
  std::vector<std::string> seen;
  for (const auto& kv : v.kvs)
    for (const auto& w : kv_warnings(v, variant, kv))
      if (std::find(seen.begin(), seen.end(), w) == seen.end()) seen.push_back(w);
  if (seen.empty()) return;
  o << "⚠ warned: quant printed a warning for this model and cache:\n\n";
  for (const auto& w : seen) o << "- " << md_escape(w) << "\n";
  o << "\n";
}

struct Quality {
  std::string ppl = kDash, delta = kDash, kld = kDash, top1 = kDash;
};

Quality quality(const ModelView& v, const std::string& variant, const KvPair& kv, const std::string& text, int ctx) {
  Quality q;
  const CellResult* c = v.find(variant, kv, Metric::ppl, text, ctx);
  if (!c || !c->ok()) {
    q.ppl = status_word(c);
    return q;
  }
  const MeasureStats* p = v.a.find(c->cell.id, "ppl");
  if (!p) return q;
  q.ppl = fmt_ppl(p->summary.median) + " ± " + fmt_ppl(p->uncertainty);
  if (const MeasureStats* d = v.a.find(c->cell.id, "ppl_delta")) {
    const double base = p->summary.median - d->summary.median;
    q.delta = (d->summary.median >= 0 ? "+" : "") + fmt_ppl(d->summary.median) + " ± " + fmt_ppl(d->uncertainty) + " (" +
              fmt("%+.2f", base > 0 ? 100 * d->summary.median / base : 0) + "%)";
  } else if (const CellResult* ref = v.find(variant, {"fp32", "fp32"}, Metric::ppl, text, ctx); ref && ref->ok()) {
    const MeasureStats* rp = v.a.find(ref->cell.id, "ppl");
    const double diff = rp ? p->summary.median - rp->summary.median : 0;
    if (rp) q.delta = (diff >= 0 ? "+" : "") + fmt_ppl(diff) + " (" +
                      fmt("%+.2f", 100 * (p->summary.median / rp->summary.median - 1)) + "%, unpaired)";
  }
  if (const MeasureStats* k = v.a.find(c->cell.id, "kld")) q.kld = fmt_small(k->summary.median);
  if (const MeasureStats* t = v.a.find(c->cell.id, "top1")) q.top1 = fmt_percent(t->summary.median);
  return q;
}

void release_table(std::ostringstream& o, const ModelView& v, const std::string& variant) {
  const int depth = v.depths.empty() ? -1 : v.depths.front();
  const CellResult* any_speed = nullptr;
  for (const auto& kv : v.kvs)
    if ((any_speed = v.find(variant, kv, Metric::speed, "", depth))) break;
  const std::string measure = headline_measure(any_speed);
  const bool has_ppl = !v.ppl_points.empty();
  const std::string text = has_ppl ? v.ppl_points.front().first : "";
  const int ctx = has_ppl ? v.ppl_points.front().second : 0;

  o << "tok/s: ";
  if (any_speed) {
    const Cell& c = any_speed->cell;
    o << (measure == "tg_tok_s" ? "generation of " + std::to_string(c.n_gen) + " tokens (tg" + std::to_string(c.n_gen) + ")"
                                : "prompt processing of " + std::to_string(c.n_prompt) + " tokens (pp" + std::to_string(c.n_prompt) + ")")
      << " with " << depth << " tokens already in the cache, " << c.threads << " thread(s); median over every timed repetition "
      << "[95% bootstrap CI]; vs FP32 = ratio of medians to the fp32/fp32 cache [95% CI]. ";
  } else {
    o << "not measured. ";
  }
  if (has_ppl) {
    const CellResult* pc = nullptr;
    for (const auto& kv : v.kvs)
      if ((pc = v.find(variant, kv, Metric::ppl, text, ctx))) break;
    o << "PPL: text `" << text << "`, context " << ctx << ", "
      << (pc && pc->cell.chunks ? std::to_string(pc->cell.chunks) + " chunks" : std::string("every chunk"))
      << ", ± the engine's standard error; delta: "
      << (pc && pc->cell.kld ? "paired per-token difference against an fp32 cache in the same run (± 1 s.e.)"
                              : "difference against the fp32/fp32 cell (unpaired)")
      << ". ";
  }
  const std::vector<std::string> peers = peers_of_model(v.r, v.model);
  for (const auto& p : peers)
    o << "vs " << p << " = ratio of medians, quant / the peer engine " << p << " on the same cell of this sweep [95% CI] "
      << "(above 1: quant is faster). ";
  o << "Bytes/block: bytes of one stored head vector (head_dim elements, headers included). "
    << "Compression: the keys alone (K) and the whole cache (K+V) relative to fp16 and to fp32 caches. ⚠ = spread "
       "too wide to support a comparison.\n\n";
  o << "| Type (K / V) | Bytes/block | K+V bytes/token | Compression vs fp16 (K / K+V) | Compression vs fp32 (K / K+V) "
       "| tok/s [95% CI] | vs FP32 [95% CI] |";
  for (const auto& p : peers) o << " vs " << p << " [95% CI] |";
  o << " PPL | delta | KLD | top-1 |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|";
  for (size_t i = 0; i < peers.size(); ++i) o << "---:|";
  o << "---:|---:|---:|---:|\n";
  for (const auto& kv : v.kvs) {
    const CellResult* g = geometry_cell(v, variant, kv);
    const CellResult* s = depth >= 0 ? v.find(variant, kv, Metric::speed, "", depth) : nullptr;
    const Quality q = has_ppl ? quality(v, variant, kv, text, ctx) : Quality{};
    const double kb = kv_num(g, "k_bytes_per_token"), vb = kv_num(g, "v_bytes_per_token");
    o << "| " << kv_cell_label(v, variant, kv) << " | " << bytes_per_block(g) << " | " << (g ? fmt("%.0f", kb + vb) : kDash) << " | "
      << (g ? fmt("%.2f", compression(g, "k_vs_fp16")) + "x / " + fmt("%.2f", compression(g, "kv_vs_fp16")) + "x" : kDash)
      << " | "
      << (g ? fmt("%.2f", compression(g, "k_vs_fp32")) + "x / " + fmt("%.2f", compression(g, "kv_vs_fp32")) + "x" : kDash)
      << " | "
      << (depth >= 0 ? rate_text(v.a, s, measure) : kDash) << " | " << (depth >= 0 ? vs_fp32_text(v.a, s, measure) : kDash);
    for (const auto& p : peers) o << " | " << (depth >= 0 ? vs_peer_text(v.r, v.a, s, p, measure) : kDash);
    o << " | " << q.ppl << " | " << q.delta << " | " << q.kld << " | " << q.top1 << " |\n";
  }
  o << "\n";
  warning_notes(o, v, variant);
}

void speed_table(std::ostringstream& o, const ModelView& v, const std::string& variant) {
  o << "| Type (K / V) | depth | pp tok/s [95% CI] | pp vs FP32 | tg tok/s [95% CI] | tg vs FP32 | tokens in cache | flags |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (int depth : v.depths)
    for (const auto& kv : v.kvs) {
      const CellResult* c = v.find(variant, kv, Metric::speed, "", depth);
      if (!c) continue;
      std::string flags, in_cache = kDash;
      if (c->ok()) {
        std::set<std::string> seen;
        for (const char* m : {"pp_tok_s", "tg_tok_s"})
          if (const MeasureStats* s = v.a.find(c->cell.id, m))
            for (const auto& f : s->flags)
              if (seen.insert(std::string(m).substr(0, 2) + ": " + f).second)
                flags += (flags.empty() ? "" : "; ") + std::string(m).substr(0, 2) + ": " + f;
        int most = 0;
        for (const auto& r : c->runs)
          if (r.ok()) most = std::max(most, static_cast<int>(sample_of(r).max_tokens_in_cache.value_or(0)));
        in_cache = std::to_string(most);
      }
      auto part = [&](const char* m, bool measured) {
        return measured ? rate_text(v.a, c, m) + " | " + vs_fp32_text(v.a, c, m) : std::string(kDash) + " | " + kDash;
      };
      o << "| " << kv_cell_label(v, variant, kv) << " | " << depth << " | " << part("pp_tok_s", c->cell.n_prompt > 0) << " | "
        << part("tg_tok_s", c->cell.n_gen > 0) << " | " << in_cache << " | " << (flags.empty() ? "" : md_escape(flags))
        << " |\n";
    }
  o << "\n";
}

void quality_table(std::ostringstream& o, const ModelView& v, const std::string& variant) {
  o << "| Type (K / V) | text | ctx | PPL | delta | KLD | top-1 | tokens scored | tokens in cache |\n";
  o << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [text, ctx] : v.ppl_points)
    for (const auto& kv : v.kvs) {
      const CellResult* c = v.find(variant, kv, Metric::ppl, text, ctx);
      if (!c) continue;
      const Quality q = quality(v, variant, kv, text, ctx);
      std::string scored = kDash, in_cache = kDash;
      for (const auto& r : c->runs)
        if (r.ok() && !r.warmup) {
          const Sample s = sample_of(r);
          scored = std::to_string(static_cast<int>(s.n_scored.value_or(0)));
          in_cache = std::to_string(static_cast<int>(s.max_tokens_in_cache.value_or(0)));
          break;
        }
      o << "| " << kv_cell_label(v, variant, kv) << " | " << text << " | " << ctx << " | " << q.ppl << " | " << q.delta << " | " << q.kld
        << " | " << q.top1 << " | " << scored << " | " << in_cache << " |\n";
    }
  o << "\n";
}

void variant_table(std::ostringstream& o, const ModelView& v, const VariantResult& def, const VariantResult& other) {
  const std::string d = def.variant.name, x = other.variant.name;
  if (!other.build.built) {
    o << "Variant `" << x << "` is **unsupported: not built** (" << md_escape(other.build.reason)
      << "), so there is nothing to compare with `" << d << "`.\n\n";
    return;
  }
  o << "| Type (K / V) | depth | test | `" << d << "` tok/s [95% CI] | `" << x << "` tok/s [95% CI] | `" << x << "` vs `"
    << d << "` [95% CI] | verdict |\n";
  o << "|---|---:|---|---:|---:|---:|---|\n";
  for (int depth : v.depths)
    for (const auto& kv : v.kvs) {
      const CellResult* a = v.find(d, kv, Metric::speed, "", depth);
      const CellResult* b = v.find(x, kv, Metric::speed, "", depth);
      if (!a && !b) continue;
      for (const char* m : {"pp_tok_s", "tg_tok_s"}) {
        const CellResult* any = a ? a : b;
        if ((std::string(m) == "pp_tok_s" ? any->cell.n_prompt : any->cell.n_gen) == 0) continue;
        const Comparison* cmp = b ? v.a.compare("variant_vs_default", b->cell.id, m) : nullptr;
        const std::string test = std::string(m).substr(0, 2) +
                                 std::to_string(std::string(m) == "pp_tok_s" ? any->cell.n_prompt : any->cell.n_gen);
        o << "| " << kv_label(kv) << " | " << depth << " | " << test << " | " << rate_text(v.a, a, m) << " | "
          << rate_text(v.a, b, m) << " | " << (cmp ? fmt_ratio_ci(cmp->ratio, cmp->ci) : kDash) << " | "
          << (cmp ? cmp->verdict + (cmp->flags.empty() ? "" : " ⚠") : kDash) << " |\n";
      }
    }
  o << "\n";
}

std::string engine_line(const Results& r, const VariantResult& v) {
  const json* e = nullptr;
  for (const auto& c : r.cells)
    if (c.cell.variant == v.variant.name && c.ok() && !c.engine.is_null()) {
      e = &c.engine;
      break;
    }
  std::ostringstream o;
  if (v.variant.is_peer()) return peer_engine_line(r, v);
  o << "- Variant `" << v.variant.name << "`" << (v.variant.is_default ? " (default)" : "") << ": ";
  if (!v.build.built) {
    o << "unsupported: not built — " << md_escape(v.build.reason) << "\n";
    return o.str();
  }
  if (!e) {
    o << "built (" << v.build.binary << ") but no cell of it produced numbers.\n";
    return o.str();
  }
  // Fields a valid engine report may lack: member(), never the const operator[] (see json_check.h).
  const json& b = member(*e, "build");
  const json& backend = member(*e, "backend");
  std::string opts;
  for (const auto& [k, val] : member(b, "cmake_options").items())
    opts += (opts.empty() ? "" : ", ") + k + "=" + (val.is_string() ? val.get<std::string>() : val.dump());
  o << "engine commit " << short_sha(text_of(b, "git_commit")) << (flag_of(b, "git_dirty") ? " (dirty tree)" : "")
    << ", " << text_of(b, "build_type") << ", " << text_of(b, "compiler") << ", flags `" << text_of(b, "cxx_flags", "")
    << "`, CMake " << opts << ", SIMD " << text_of(b, "simd") << "; backend "
    << text_of(backend, "used") << " on " << text_of(backend, "device") << "; "
    << (v.build.source == "override" ? "binary given on the command line: " + v.build.binary
                                     : "built in " + v.variant.build_dir + " by " + v.build.compiler)
    << "\n";
  return o.str();
}

}  // namespace

std::string status_counts(const Results& r) {
  std::map<std::string, int> n;
  for (const auto& c : r.cells) ++n[c.status];
  std::ostringstream o;
  o << r.cells.size() << " cells: " << n["ok"] << " ok, " << n["error"] << " failed, " << n["missing"] << " missing, "
    << n["unsupported"] << " unsupported";
  if (n["incomplete"]) o << ", " << n["incomplete"] << " incomplete";
  return o.str();
}

std::string render_model_sections(const Results& r, const Analysis& a, const std::string& h) {
  std::ostringstream o;
  const VariantResult& def = r.default_variant();
  o << render_model_sizes(r, a, h);
  for (const auto& m : r.inputs.models) {
    const ModelView v = view(r, a, m.name);
    if (v.kvs.empty()) continue;
    o << h << " Model " << model_title(r, m.name) << ": KV cache types (default variant `" << def.variant.name << "`)\n\n";
    if (!m.generated_by.empty())
      o << "**Synthetic weights**: random weights of a real model's shape, generated by bench-all (`"
        << md_escape(m.generated_by) << "`). Its speed and cache-size figures are meaningful; quality is not measured "
           "on it.\n\n";
    else if (m.synthetic)
      o << "**Synthetic weights**: this model was generated by bench-all because no model of the suite was found. "
           "Its speed, KLD and top-1 figures are meaningful; its perplexities are not.\n\n";
    if (!m.found()) {
      o << "**Missing**: `" << m.file << "` was not found (searched: " << md_escape([&] {
        std::string s;
        for (const auto& p : m.searched) s += (s.empty() ? "" : ", ") + p;
        return s;
      }()) << "). Set QUANT_MODEL_PATH or QUANT_SHARED_DIR to measure it.\n\n";
      continue;
    }
    release_table(o, v, def.variant.name);
    for (const auto& vr : r.variants) {
      bool has_speed = false, random_depth = false;
      for (const auto& c : r.cells) {
        const bool mine = c.cell.model == m.name && c.cell.variant == vr.variant.name && c.cell.metric == Metric::speed;
        has_speed |= mine;
        random_depth |= mine && c.cell.random_depth && c.cell.depth > 0;
      }
      if (!has_speed || (!vr.build.built && !vr.variant.is_default) || vr.variant.is_peer()) continue;
      o << h << "# Speed by depth: " << model_title(r, m.name) << ", variant `" << vr.variant.name << "`\n\n";
      if (random_depth)
        o << "Depths above 0 hold random keys and values encoded in each cache type (`quant --bench --depth-fill "
             "random`), not a prefill's: the timed prompt and decode steps do not depend on the cached values.\n\n";
      speed_table(o, v, vr.variant.name);
    }
    if (!v.ppl_points.empty()) {
      o << h << "# Quality: " << model_title(r, m.name) << ", variant `" << def.variant.name << "`\n\n";
      quality_table(o, v, def.variant.name);
    }
    for (const auto& peer : peers_of_model(r, m.name)) o << render_peer_section(r, a, m.name, peer, h + "#");
    for (const auto& vr : r.variants) {
      if (vr.variant.is_default || vr.variant.is_peer()) continue;
      bool any = false;
      for (const auto& c : r.cells)  // count cells have no timings to put beside the default build's
        any |= c.cell.model == m.name && c.cell.variant == vr.variant.name && c.cell.metric != Metric::counts;
      if (!any) continue;
      o << h << "# Builds: " << model_title(r, m.name) << ", default `" << def.variant.name << "` vs `"
        << vr.variant.name << "`\n\n";
      variant_table(o, v, def, vr);
    }
  }
  return o.str();
}

std::string render_problem_cells(const Results& r, const std::string& h) {
  // Failed cells one by one (their errors differ); missing and unsupported cells grouped by reason.
  std::vector<const CellResult*> failed;
  std::vector<std::pair<std::string, std::vector<const CellResult*>>> groups;  // (status: reason, cells)
  for (const auto& c : r.cells) {
    if (c.ok()) continue;
    if (c.status == "error" || c.status == "incomplete") {
      failed.push_back(&c);
      continue;
    }
    const std::string key = c.status + "\t" + c.reason;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) groups.push_back({key, {&c}});
    else it->second.push_back(&c);
  }
  if (failed.empty() && groups.empty()) return "";
  std::ostringstream o;
  o << h << " Cells without numbers\n\n";
  o << "| Cell | Status | Exit code | Reason |\n|---|---|---:|---|\n";
  for (const auto* c : failed) {
    std::string exit = kDash;
    for (const auto& run : c->runs)
      if (!run.ok()) {
        exit = std::to_string(run.exit_code);
        break;
      }
    o << "| `" << c->cell.id << "` | " << c->status << " | " << exit << " | " << md_escape(c->reason) << " |\n";
  }
  for (const auto& [key, cells] : groups) {
    o << "| ";
    if (cells.size() == 1) o << "`" << cells[0]->cell.id << "`";
    else o << cells.size() << " cells, `" << cells.front()->cell.id << "` to `" << cells.back()->cell.id << "`";
    o << " | " << cells[0]->status << " | " << kDash << " | " << md_escape(cells[0]->reason) << " |\n";
  }
  o << "\n";
  return o.str();
}

std::string render_provenance(const Results& r, const Analysis& a) {
  std::ostringstream o;
  const json& h = r.harness;
  const json& s = r.system;
  o << "**Provenance.** Suite `" << r.suite_name << "` (" << r.suite_file << ", sha256 " << short_sha(r.suite_sha256)
    << "), run `" << r.run_id << "`, " << r.started << " to " << r.finished;
  if (!r.shard.empty()) o << ", shard " << r.shard;
  if (!r.merged_from.empty()) o << ", merged from " << r.merged_from.size() << " shards";
  o << ". bench-all commit " << short_sha(text_of(h, "git_commit")) << (flag_of(h, "git_dirty") ? " (dirty tree)" : "")
    << ". Machine: " << text_of(s, "cpu_model") << ", " << fmt("%.0f", number_of(s, "n_cores")) << " cores, "
    << text_of(s, "os") << ".\n\n";
  for (const auto& v : r.variants) o << engine_line(r, v);
  for (const auto& m : r.inputs.models)
    o << "- Model `" << m.name << "`: " << (m.found() ? m.path + ", sha256 " + short_sha(m.sha256) : "missing")
      << (m.synthetic ? " (synthetic weights, generated by bench-all" +
                            (m.generated_by.empty() ? std::string() : ": " + md_escape(m.generated_by)) + ")"
                      : std::string())
      << "\n";
  for (const auto& t : r.inputs.texts)
    o << "- Text `" << t.name << "`: " << (t.found() ? t.path + ", sha256 " + short_sha(t.sha256) : "missing")
      << (t.synthetic ? " (synthetic text, generated by bench-all)" : "") << "\n";
  const auto& opt = a.options;
  o << "- Statistics: medians; " << fmt("%.0f", opt.bootstrap.level * 100) << "% percentile-bootstrap intervals ("
    << opt.bootstrap.resamples << " resamples, seed " << opt.bootstrap.seed
    << ", one derived seed per cell); timings flagged when CV > " << fmt_percent(opt.wide_cv, 0) << " or n < "
    << opt.min_samples << ". Threads per run are in each table's caption.\n";
  return o.str();
}

std::vector<std::string> plot_files(const Results& r) {
  bool kld = false, speed = false;
  std::set<int> depths;
  for (const auto& c : r.cells) {
    if (!c.ok()) continue;
    if (c.cell.metric == Metric::ppl) kld = true;
    if (c.cell.metric == Metric::speed) {
      speed = true;
      depths.insert(c.cell.depth);
    }
  }
  std::vector<std::string> files;
  if (kld) files.push_back("pareto.png");
  if (speed) files.push_back("speed.png");
  if (depths.size() > 1) files.push_back("depth.png");
  return files;
}

namespace {

std::string interval_text(const MeasureStats& m) {
  std::ostringstream o;
  auto g = [](double x) { return fmt("%.6g", x); };
  if (m.has_ci) o << "[" << g(m.ci.lo) << ", " << g(m.ci.hi) << "]";
  else if (m.uncertainty > 0) o << "± " << g(m.uncertainty) << " (s.e.)";
  else o << kDash;
  return o.str();
}

}  // namespace

std::string render_report(const Results& r, const Analysis& a) {
  std::ostringstream o;
  o << "# bench-all report: suite `" << r.suite_name << "`\n\n";
  std::string variants;
  for (const auto& v : r.variants) {
    if (!variants.empty()) variants += ", ";
    variants.append("`").append(v.variant.name).append("`").append(v.variant.is_default ? " (default)" : "");
  }
  o << "Run `" << r.run_id << "`, " << r.started << ", " << fmt("%.0f", r.wall_s) << " s. Variants: " << variants
    << ". " << status_counts(r) << ". Generated by bench-all from results.json; every number below is recomputed "
    << "from the raw samples in that file.\n\n";
  if (r.inputs.any_synthetic())
    o << "> **Synthetic weights**: figures for a generated model are labelled as such; their perplexities mean nothing.\n\n";
  o << render_model_sections(r, a, "##");
  o << render_problem_cells(r, "##");
  const auto plots = plot_files(r);
  if (!plots.empty()) {
    o << "## Plots\n\n";
    for (const auto& p : plots) o << "![" << p << "](" << p << ")\n";
    o << "\n";
  }
  o << "## Cell statistics\n\n<details><summary>Every measure of every cell (n, median, mean, sd, CV, min, max, 95% CI)"
    << "</summary>\n\n";
  o << "| Cell | Measure | n | median | mean | sd | CV | min | max | 95% CI | flags |\n";
  o << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& m : a.measures) {
    const Summary& s = m.summary;
    auto g = [](double x) { return fmt("%.6g", x); };
    std::string flags;
    for (const auto& f : m.flags) flags += (flags.empty() ? "" : "; ") + f;
    o << "| `" << m.cell << "` | " << m.measure << " | " << s.n << " | " << g(s.median) << " | " << g(s.mean) << " | "
      << g(s.sd) << " | " << fmt_percent(s.cv, 1) << " | " << g(s.min) << " | " << g(s.max) << " | "
      << interval_text(m) << " | " << md_escape(flags) << " |\n";
  }
  o << "\n</details>\n\n---\n\n" << render_provenance(r, a);
  return o.str();
}

}  // namespace quant::harness
