#include "harness/report/report_peer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "harness/report/report_cells.h"
#include "harness/stats/format.h"
#include "harness/util/json_check.h"

namespace quant::harness {

using nlohmann::json;

namespace {

std::string status_text(const CellResult* c) {
  if (!c) return "not measured";
  if (c->status == "unsupported") return short_unsupported(c->reason);
  return c->status;
}

std::string rate(const Analysis& a, const CellResult* c, const std::string& measure) {
  if (!c || !c->ok()) return status_text(c);
  const MeasureStats* m = a.find(c->cell.id, measure);
  if (!m) return kDash;
  return fmt_rate_ci(m->summary.median, m->ci) + (m->flags.empty() ? "" : " ⚠");
}

std::string ppl_text(const Analysis& a, const CellResult* c) {
  if (!c || !c->ok()) return status_text(c);
  const MeasureStats* m = a.find(c->cell.id, "ppl");
  return m ? fmt_ppl(m->summary.median) + " ± " + fmt_ppl(m->uncertainty) : kDash;
}

template <class T>
void add_distinct(std::vector<T>& out, const T& x) {
  if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
}

}  // namespace

std::string short_unsupported(const std::string& reason) {
  if (reason.starts_with("unsupported by ")) return reason.substr(0, reason.find(':'));
  if (reason.starts_with("unsupported: ")) {
    const size_t second = reason.find(':', 13);
    return reason.substr(0, second);
  }
  return reason;
}

std::vector<std::string> peers_of_model(const Results& r, const std::string& model) {
  std::vector<std::string> out;
  for (const auto& v : r.variants) {
    if (!v.variant.is_peer()) continue;
    for (const auto& c : r.cells)
      if (c.cell.variant == v.variant.name && c.cell.model == model) {
        out.push_back(v.variant.name);
        break;
      }
  }
  return out;
}

std::string vs_peer_text(const Results& r, const Analysis& a, const CellResult* quant_cell, const std::string& peer,
                         const std::string& measure) {
  if (!quant_cell || !quant_cell->ok()) return kDash;
  const std::string ref = cell_id_with(quant_cell->cell, peer, quant_cell->cell.kv);
  const CellResult* p = r.cell(ref);
  if (!p || !p->ok()) return status_text(p);
  const Comparison* cmp = a.compare_to("vs_peer", quant_cell->cell.id, ref, measure);
  if (!cmp) return kDash;
  return fmt_ratio_ci(cmp->ratio, cmp->ci) + (cmp->flags.empty() ? "" : " ⚠");
}

std::string render_peer_section(const Results& r, const Analysis& a, const std::string& model, const std::string& peer,
                                const std::string& h) {
  const std::string def = r.default_variant().variant.name;
  std::vector<KvPair> kvs;
  std::vector<int> depths;
  std::vector<std::pair<std::string, int>> ppl_points;
  for (const auto& c : r.cells) {
    if (c.cell.model != model || (c.cell.variant != def && c.cell.variant != peer)) continue;
    add_distinct(kvs, c.cell.kv);
    if (c.cell.metric == Metric::speed) add_distinct(depths, c.cell.depth);
    else add_distinct(ppl_points, std::make_pair(c.cell.text, c.cell.ctx));
  }
  std::ostringstream o;
  o << h << " quant vs " << peer << ": `" << model << "`\n\n";
  if (!depths.empty()) {
    o << "Default build `" << def << "` and the peer engine `" << peer << "` on the same model file, cells and threads, "
      << "interleaved in this sweep. tok/s: median over every timed repetition [95% bootstrap CI]; ratio: median quant / "
      << "median " << peer << " [95% CI] (above 1: quant is faster). The peer's flags are in each cell's "
      << "engine.config.command.\n\n";
    o << "| Type (K / V) | depth | test | `" << def << "` tok/s [95% CI] | `" << peer << "` tok/s [95% CI] | quant / " << peer
      << " [95% CI] | verdict |\n|---|---:|---|---:|---:|---:|---|\n";
    for (int depth : depths)
      for (const auto& kv : kvs) {
        const CellResult* q = find_cell(r, def, model, kv, Metric::speed, "", depth);
        const CellResult* p = find_cell(r, peer, model, kv, Metric::speed, "", depth);
        if (!q && !p) continue;
        const Cell& any = (q ? q : p)->cell;
        for (const char* m : {"pp_tok_s", "tg_tok_s"}) {
          const bool pp = std::string(m) == "pp_tok_s";
          if ((pp ? any.n_prompt : any.n_gen) == 0) continue;
          const Comparison* cmp = q && p ? a.compare_to("vs_peer", q->cell.id, p->cell.id, m) : nullptr;
          const std::string verdict = !cmp ? kDash
                                      : cmp->verdict == "higher" ? "quant faster"
                                      : cmp->verdict == "lower"  ? "quant slower"
                                                                 : "inconclusive";
          o << "| " << kv_label(kv) << " | " << depth << " | " << (pp ? "pp" : "tg") << (pp ? any.n_prompt : any.n_gen)
            << " | " << rate(a, q, m) << " | " << rate(a, p, m) << " | "
            << (cmp ? fmt_ratio_ci(cmp->ratio, cmp->ci) : std::string(kDash)) << " | "
            << verdict + (cmp && !cmp->flags.empty() ? " ⚠" : "") << " |\n";
        }
      }
    o << "\n";
  }
  if (!ppl_points.empty()) {
    o << "PPL cross-check: both engines score the same text with the same context, chunks and cache type, so they "
      << "should agree; \"agree\" means the difference is within one standard error of the difference, "
      << "sqrt(se_quant² + se_peer²), each engine's own standard error.\n\n";
    o << "| Type (K / V) | text | ctx | `" << def << "` PPL | `" << peer << "` PPL | difference | verdict |\n"
      << "|---|---|---:|---:|---:|---:|---|\n";
    for (const auto& [text, ctx] : ppl_points)
      for (const auto& kv : kvs) {
        const CellResult* q = find_cell(r, def, model, kv, Metric::ppl, text, ctx);
        const CellResult* p = find_cell(r, peer, model, kv, Metric::ppl, text, ctx);
        if (!q && !p) continue;
        const PplCrossCheck* k = nullptr;
        for (const auto& x : a.cross_checks)
          if (q && p && x.cell == q->cell.id && x.reference == p->cell.id) k = &x;
        std::string diff = kDash, verdict = kDash;
        if (k) {
          const double d = k->ppl - k->peer_ppl;
          diff = fmt("%+.4f", d) + " (" + fmt("%+.3f", 100 * d / k->peer_ppl) + "%)";
          verdict = k->agree ? "agree" : "**DIFFER**: one of the two engines is wrong";
        }
        o << "| " << kv_label(kv) << " | " << text << " | " << ctx << " | " << ppl_text(a, q) << " | " << ppl_text(a, p)
          << " | " << diff << " | " << verdict << " |\n";
      }
    o << "\n";
  }
  return o.str();
}

std::string peer_engine_line(const Results& r, const VariantResult& v) {
  std::ostringstream o;
  o << "- Variant `" << v.variant.name << "` (peer engine " << v.variant.kind << ", reported, never gated): ";
  if (!v.build.built) {
    o << md_escape(v.build.reason.empty() ? "not needed" : v.build.reason) << "\n";
    return o.str();
  }
  const json& p = v.build.peer;  // load_results checked the types; member() and text_of() for the rest
  o << "binaries in " << v.build.build_dir << " (from " << text_of(p, "bin_dir_from") << "); version `"
    << md_escape(text_of(p, "version")) << "`";
  if (member(p, "files").is_object()) {
    std::string files;
    for (const auto& [name, sha] : member(p, "files").items())
      if (name.starts_with("llama-"))
        files += (files.empty() ? "" : ", ") + name + " sha256 " + short_sha(sha.is_string() ? sha.get<std::string>() : "?");
    o << "; " << files << " (every file's sha256 in results.json)";
  }
  const json& table = member(p, "readme_table");
  for (const char* key : {"source", "build", "CPU target"})
    if (member(table, key).is_string()) o << "; " << key << ": " << md_escape(text_of(table, key));
  for (const auto& c : r.cells)
    if (c.cell.variant == v.variant.name && c.ok() && member(c.engine, "config").is_object()) {
      o << "; e.g. `" << md_escape(text_of(member(c.engine, "config"), "command", "")) << "`";
      break;
    }
  o << "\n";
  return o.str();
}

}  // namespace quant::harness
