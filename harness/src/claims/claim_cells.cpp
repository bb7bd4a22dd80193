#include "claim_cells.h"

#include <vector>

namespace quant::harness {

std::string kv_text(const KvPair& kv) { return kv.k == kv.v ? kv.k : kv.k + "/" + kv.v; }

namespace {

std::string select_text(const ClaimSelect& s, const std::string& def) {
  std::string t = "variant " + (s.variant.empty() ? def : s.variant);
  if (!s.model.empty()) t += ", model " + s.model;
  if (s.kv) t += ", kv " + kv_text(*s.kv);
  if (!s.text.empty()) t += ", text " + s.text;
  if (s.ctx) t += ", ctx " + std::to_string(s.ctx);
  if (s.depth >= 0) t += ", depth " + std::to_string(s.depth);
  return t;
}

bool selected(const ClaimSelect& s, Metric m, const std::string& variant, const Cell& x) {
  if (x.metric != m || x.variant != variant) return false;
  if (!s.model.empty() && x.model != s.model) return false;
  if (s.kv && !(x.kv == *s.kv)) return false;
  if (m == Metric::ppl && ((!s.text.empty() && x.text != s.text) || (s.ctx && x.ctx != s.ctx))) return false;
  if (m == Metric::speed && s.depth >= 0 && x.depth != s.depth) return false;
  return true;
}

}  // namespace

const CellResult* select_cell(const ClaimSelect& s, Metric m, const Results& r, std::string& error, bool first_of_many) {
  const std::string def = r.default_variant().variant.name;
  const std::string variant = s.variant.empty() ? def : s.variant;
  std::vector<const CellResult*> hits;
  for (const auto& c : r.cells)
    if (selected(s, m, variant, c.cell)) hits.push_back(&c);
  const std::string what = std::string(metric_name(m)) + " cell with " + select_text(s, def);
  if (hits.empty()) {
    error = "no " + what + " in run " + r.run_id + " (suite " + r.suite_name + ")";
    return nullptr;
  }
  if (hits.size() > 1 && !first_of_many) {
    error = std::to_string(hits.size()) + " cells match " + what + " (e.g. " + hits[0]->cell.id + ", " +
            hits[1]->cell.id + "): narrow the selector";
    return nullptr;
  }
  if (first_of_many)
    for (const CellResult* h : hits)
      if (h->ok()) return h;
  if (!hits[0]->ok()) {
    error = "cell " + hits[0]->cell.id + " has no numbers (" + hits[0]->status + ": " + hits[0]->reason + ")";
    return nullptr;
  }
  return hits[0];
}

}  // namespace quant::harness
