#include "harness/judge/count_gate.h"

#include <cmath>

#include "harness/stats/analysis.h"
#include "harness/measure/counts.h"
#include "harness/measure/sample.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

double count_value(const CellResult& c, const std::string& measure) {
  Measure m{};
  if (!measure_from_name(measure, m)) return -1;
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup)
      for (double x : sample_values(sample_of(r), m)) v.push_back(x);
  return v.empty() ? -1 : median(v);
}

namespace {

json counter_of(const CellResult& c) {
  for (const auto& r : c.runs)
    if (r.ok() && r.sample.contains("counter")) return r.sample.at("counter");
  return json();
}

}  // namespace

std::vector<Check> judge_counts(const std::string& variant, const CellResult& base, const CellResult& cur,
                                const Thresholds& t) {
  std::vector<Check> out;
  const std::string mismatch = count_provenance_mismatch(counter_of(base), counter_of(cur));
  if (!mismatch.empty()) {
    Check c{variant, cur.cell.id, "", "counts", "", "", false, {}, 0, {}, false};
    c.decision = {Verdict::cannot_decide, "counts are not comparable: " + mismatch};
    out.push_back(c);
    return out;
  }
  for (const auto& m : measures_of(base.cell)) {
    const bool instr = m.find("instr") != std::string::npos;
    const double tol = instr ? t.counts.instr : t.counts.ll_miss;
    const double b = count_value(base, m), now = count_value(cur, m);
    Check c{variant, cur.cell.id, m, "counts", fmt("%.6g", b), fmt("%.6g", now), false, {}, tol, {}, false};
    if (b < 0 || now < 0) {
      c.decision = {Verdict::cannot_decide, "no count in the " + std::string(b < 0 ? "baseline" : "current run")};
    } else {
      const double ratio = b > 0 ? now / b : (now > 0 ? 2.0 : 1.0);
      const std::string numbers = fmt("%.6g", b) + " -> " + fmt("%.6g", now) + " per token (" +
                                  fmt("%+.2f%%", (ratio - 1) * 100) + ", tolerance " + fmt_percent(tol, 1) + ")";
      const std::string what = instr ? "instructions" : "simulated LL misses";
      // "1% more" is a regression: the tolerance itself counts (1e-12 absorbs the division's rounding).
      if (!instr && std::fabs(now - b) < t.counts.ll_miss_floor)
        c.decision = {Verdict::unchanged, "within " + fmt("%g", t.counts.ll_miss_floor) + " miss per token: " + numbers};
      else if (ratio - 1 >= tol - 1e-12) c.decision = {Verdict::regression, "more " + what + ": " + numbers};
      else if (1 - ratio >= tol - 1e-12)
        c.decision = {Verdict::improvement, "fewer " + what + ": " + numbers +
                                                "; update the baseline so the gate keeps the gain"};
      else c.decision = {Verdict::unchanged, (ratio == 1 ? "identical: " : "within tolerance: ") + numbers};
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace quant::harness
