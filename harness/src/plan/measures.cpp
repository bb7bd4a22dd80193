#include "harness/plan/measures.h"

#include <iterator>

#include "quant/error.h"

namespace quant::harness {

namespace {

struct MeasureRow {
  Measure measure;
  const char* name;        // results, analysis and verdict files
  const char* claim_name;  // claims files (the delta in % of the fp32 PPL)
  MeasureKind kind;
  bool higher_is_better;   // which way is an improvement (regressions go the other way)
};

// The one name table. Rows in the enum's order.
constexpr MeasureRow kMeasures[] = {
    {Measure::pp_tok_s, "pp_tok_s", "pp_tok_s", MeasureKind::timing, true},
    {Measure::tg_tok_s, "tg_tok_s", "tg_tok_s", MeasureKind::timing, true},
    {Measure::ppl, "ppl", "ppl", MeasureKind::quality, false},
    {Measure::ppl_delta, "ppl_delta", "ppl_delta_pct", MeasureKind::quality, false},
    {Measure::kld, "kld", "kld", MeasureKind::quality, false},
    {Measure::top1, "top1", "top1", MeasureKind::quality, true},
    {Measure::pp_instr_per_token, "pp_instr_per_token", "pp_instr_per_token", MeasureKind::count, false},
    {Measure::pp_ll_miss_per_token, "pp_ll_miss_per_token", "pp_ll_miss_per_token", MeasureKind::count, false},
    {Measure::tg_instr_per_token, "tg_instr_per_token", "tg_instr_per_token", MeasureKind::count, false},
    {Measure::tg_ll_miss_per_token, "tg_ll_miss_per_token", "tg_ll_miss_per_token", MeasureKind::count, false},
    {Measure::kv_bytes_per_token, "kv_bytes_per_token", "kv_bytes_per_token", MeasureKind::geometry, false},
    {Measure::speed_ratio, "speed_ratio", "speed_ratio", MeasureKind::claim_ratio, true},
    {Measure::compression, "compression", "compression", MeasureKind::geometry, true},
};

constexpr bool rows_in_enum_order() {
  size_t i = 0;
  for (const auto& r : kMeasures)
    if (static_cast<size_t>(r.measure) != i++) return false;
  return i == static_cast<size_t>(Measure::compression) + 1;
}
static_assert(rows_in_enum_order(), "kMeasures needs one row per Measure, in the enum's order");

const MeasureRow& row(Measure m) { return kMeasures[static_cast<size_t>(m)]; }

}  // namespace

const std::vector<Measure>& all_measures() {
  static const std::vector<Measure> all = [] {
    std::vector<Measure> v;
    for (const auto& r : kMeasures) v.push_back(r.measure);
    return v;
  }();
  return all;
}

const char* measure_name(Measure m) { return row(m).name; }
const char* claim_measure_name(Measure m) { return row(m).claim_name; }
MeasureKind measure_kind(Measure m) { return row(m).kind; }
bool is_timing(Measure m) { return measure_kind(m) == MeasureKind::timing; }
bool higher_is_better(Measure m) { return row(m).higher_is_better; }

const char* timing_name(Timing t) {
  switch (t) {
    case Timing::pp: return "pp";
    case Timing::tg: return "tg";
  }
  return "?";
}

Measure tok_s_of(Timing t) {
  switch (t) {
    case Timing::pp: return Measure::pp_tok_s;
    case Timing::tg: return Measure::tg_tok_s;
  }
  return Measure::tg_tok_s;
}

bool measure_from_name(const std::string& name, Measure& out) {
  for (const auto& r : kMeasures)
    if (name == r.name || name == r.claim_name) {
      out = r.measure;
      return true;
    }
  return false;
}

Measure parse_measure(const std::string& name, const std::string& where) {
  Measure m{};
  if (measure_from_name(name, m)) return m;
  std::string valid;
  for (const auto& r : kMeasures) valid += (valid.empty() ? "" : ", ") + std::string(r.name);
  throw InputError(where + ": unknown measure '" + name + "' (valid: " + valid + ")");
}

}  // namespace quant::harness
