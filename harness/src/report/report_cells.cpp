#include "harness/report/report_cells.h"

namespace quant::harness {

const CellResult* find_cell(const Results& r, const std::string& variant, const std::string& model, const KvPair& kv,
                            Metric m, const std::string& text, int ctx_or_depth) {
  for (const auto& c : r.cells) {
    const Cell& x = c.cell;
    if (x.variant != variant || x.model != model || !(x.kv == kv) || x.metric != m) continue;
    if (m == Metric::ppl && (x.text != text || x.ctx != ctx_or_depth)) continue;
    if (m == Metric::speed && x.depth != ctx_or_depth) continue;
    return &c;
  }
  return nullptr;
}

}  // namespace quant::harness
