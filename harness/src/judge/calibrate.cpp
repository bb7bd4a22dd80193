#include "harness/judge/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/store/baseline.h"
#include "harness/stats/format.h"

namespace quant::harness {

using nlohmann::json;

namespace {

// One A/A comparison the gate would make: unpaired (baseline a, current b) or paired (ratios in a).
struct Instance {
  std::vector<double> a, b;
};

struct Kind {
  const char* name;
  bool paired;
};
constexpr Kind kKinds[] = {{"compare", false}, {"ratio", false}, {"ab", true}};
// Duet sweeps (duet.h) are judged only as pairs: their rounds are slices, not whole runs to compare.
constexpr Kind kDuetKinds[] = {{"duet", true}};

double threshold_of(const TimingThresholds& t, const std::string& kind) {
  return kind == "compare" ? t.compare : kind == "ratio" ? t.ratio : kind == "duet" ? t.duet : t.ab;
}

void set_threshold(TimingThresholds& t, const std::string& kind, double v) {
  (kind == "compare" ? t.compare : kind == "ratio" ? t.ratio : kind == "duet" ? t.duet : t.ab) = v;
}

Decision decide(const Instance& in, bool paired, double slowdown, double alpha, double threshold,
                const BootstrapOptions& bo) {
  if (paired) {
    std::vector<double> r = in.a;
    for (double& x : r) x *= 1 - slowdown;
    return decide_timing(paired_evidence(r, bo), alpha, threshold);
  }
  std::vector<double> b = in.b;
  for (double& x : b) x *= 1 - slowdown;
  return decide_timing(unpaired_evidence(in.a, b, bo), alpha, threshold);
}

double ratio_of(const Instance& in, bool paired, const BootstrapOptions& bo) {
  return paired ? paired_evidence(in.a, bo).ratio : unpaired_evidence(in.a, in.b, bo).ratio;
}

std::vector<double> redraw(const std::vector<double>& x, Rng& rng) {
  std::vector<double> y(x.size());
  for (auto& v : y) v = x[rng.index(x.size())];
  return y;
}

int fp32_reference(const std::vector<Cell>& cells, size_t i) {
  const KvPair fp32{"fp32", "fp32"};
  if (cells[i].kv == fp32) return -1;
  const std::string id = cell_id_with(cells[i], cells[i].variant, fp32);
  for (size_t j = 0; j < cells.size(); ++j)
    if (cells[j].id == id) return static_cast<int>(j);
  return -1;
}

// The A/A comparisons of one cell, measure and kind.
std::vector<Instance> instances(const std::vector<PairedRun>& sweeps, size_t i, const std::string& m,
                                const std::string& kind) {
  std::vector<Instance> out;
  const auto& cells = sweeps[0].cells;
  if (kind == "ab" || kind == "duet") {
    for (const auto& s : sweeps) {
      const CellResult &a = s.arms[0].cells[i], &b = s.arms[1].cells[i];
      if (!a.ok() || !b.ok()) continue;
      Instance in{pair_ratios(a, b, m), {}};
      if (!in.a.empty()) out.push_back(in);
    }
    return out;
  }
  const int ref = kind == "ratio" ? fp32_reference(cells, i) : -1;
  if (kind == "ratio" && ref < 0) return out;
  for (const auto& x : sweeps)
    for (const auto& y : sweeps) {
      const CellResult &a = x.arms[0].cells[i], &b = y.arms[1].cells[i];
      if (!a.ok() || !b.ok()) continue;
      Instance in;
      if (kind == "compare") {
        in = {values_only(run_values(a, m)), values_only(run_values(b, m))};
      } else {
        const CellResult &ar = x.arms[0].cells[ref], &br = y.arms[1].cells[ref];
        if (!ar.ok() || !br.ok()) continue;
        in = {round_ratios(a, ar, m), round_ratios(b, br, m)};
      }
      if (!in.a.empty() && !in.b.empty()) out.push_back(in);
    }
  return out;
}

double round_up(double x, double step) { return std::ceil(x / step - 1e-9) * step; }

// One measure and kind of comparison being calibrated, and the A/A comparisons of each cell that has it.
struct KindContext {
  const std::vector<Cell>& cells;
  const char* measure;
  const Kind& kind;
  const Thresholds& current;
  const CalibrateSettings& s;
  std::vector<std::pair<size_t, std::vector<Instance>>> per_cell;

  uint64_t seed(size_t i) const { return derive_seed(1, "calibrate|" + cells[i].id + "|" + measure + "|" + kind.name); }
};

void gather_instances(KindContext& x, const std::vector<PairedRun>& sweeps) {
  for (size_t i = 0; i < x.cells.size(); ++i) {
    const auto& ms = measures_of(x.cells[i]);
    if (std::find(ms.begin(), ms.end(), x.measure) == ms.end()) continue;
    auto ins = instances(sweeps, i, x.measure, x.kind.name);
    if (!ins.empty()) x.per_cell.emplace_back(i, std::move(ins));
  }
}

// The real comparisons: how many there are, the largest deviation among them, false alarms at the current threshold.
void count_comparisons(const KindContext& x, KindCalibration& k) {
  BootstrapOptions bo;
  bo.level = x.current.ci_level;
  for (const auto& [i, ins] : x.per_cell)
    for (const auto& in : ins) {
      bo.seed = x.seed(i);
      ++k.comparisons;
      k.worst_deviation = std::max(k.worst_deviation, std::fabs(1 - ratio_of(in, x.kind.paired, bo)));
      const Verdict v = decide(in, x.kind.paired, 0, x.current.alpha, k.current, bo).verdict;
      k.false_alarms_current += v == Verdict::regression || v == Verdict::improvement;
    }
}

int false_alarms(const KindContext& x, double threshold) {
  BootstrapOptions bo;
  bo.level = x.current.ci_level;
  int n = 0;
  for (const auto& [i, ins] : x.per_cell)
    for (const auto& in : ins) {
      bo.seed = x.seed(i);
      const Verdict v = decide(in, x.kind.paired, 0, x.current.alpha, threshold, bo).verdict;
      n += v == Verdict::regression || v == Verdict::improvement;
    }
  return n;
}

// Minimum detectable slowdown of one cell: the real A/A comparisons plus re-drawn ones, each slowed by s; the
// smallest s flagged as a regression in `power` of them (bisection: detection grows with s).
double min_detectable_slowdown(const KindContext& x, size_t i, const std::vector<Instance>& ins, double threshold) {
  const std::string& id = x.cells[i].id;
  Rng rng(derive_seed(7, id + "|" + x.measure + "|" + x.kind.name));
  std::vector<Instance> trials = ins;
  for (const auto& in : ins)
    for (int r = 0; r < x.s.resamples_per_comparison; ++r)
      trials.push_back({redraw(in.a, rng), in.b.empty() ? std::vector<double>() : redraw(in.b, rng)});
  BootstrapOptions tb;
  tb.level = x.current.ci_level;
  tb.resamples = x.s.ci_resamples;
  auto detected = [&](double slow) {
    int hits = 0;
    for (size_t t = 0; t < trials.size(); ++t) {
      tb.seed = derive_seed(11, id + std::to_string(t));
      hits += decide(trials[t], x.kind.paired, slow, x.current.alpha, threshold, tb).verdict == Verdict::regression;
    }
    return hits >= x.s.power * static_cast<double>(trials.size());
  };
  double lo = 0, hi = 0.8;
  if (!detected(hi)) return 0.805;  // not detectable within 80%
  for (int it = 0; it < 10; ++it) {
    const double mid = (lo + hi) / 2;
    (detected(mid) ? hi : lo) = mid;
  }
  return round_up(hi, 0.005);
}

void add_sensitivity(const KindContext& x, KindCalibration& k) {
  std::vector<double> mdes, mdes_current;
  for (const auto& [i, ins] : x.per_cell) {
    const double mde = min_detectable_slowdown(x, i, ins, k.recommended);
    k.cells.push_back({x.cells[i].id, mde});
    mdes.push_back(mde);
    mdes_current.push_back(min_detectable_slowdown(x, i, ins, k.current));
  }
  k.mde_median = median(mdes);
  k.mde_max = *std::max_element(mdes.begin(), mdes.end());
  k.mde_median_current = median(mdes_current);
  k.mde_max_current = *std::max_element(mdes_current.begin(), mdes_current.end());
}

// Nothing when no cell has a comparison of this kind.
std::optional<KindCalibration> calibrate_kind(const std::vector<PairedRun>& sweeps, const char* measure,
                                              const Kind& kind, const Thresholds& current,
                                              const CalibrateSettings& s) {
  KindContext x{sweeps[0].cells, measure, kind, current, s, {}};
  KindCalibration k;
  k.measure = measure;
  k.kind = kind.name;
  k.current = threshold_of(current.of(measure), kind.name);
  gather_instances(x, sweeps);
  count_comparisons(x, k);
  if (k.comparisons == 0) return std::nullopt;
  const double floor = sweeps[0].method != "processes" ? s.duet_floor : s.floor;
  k.recommended = std::max(floor, round_up(k.worst_deviation * s.margin, 0.005));
  k.false_alarms_recommended = false_alarms(x, k.recommended);
  add_sensitivity(x, k);
  return k;
}

}  // namespace

Calibration calibrate(const std::vector<PairedRun>& sweeps, const Thresholds& current, const CalibrateSettings& s) {
  Calibration c;
  c.recommended = current;
  if (sweeps.empty()) return c;
  const Results& first = sweeps[0].arms[0];
  c.date = utc_now();
  const std::optional<Machine> m = machine_of(first);
  c.machine = m ? m->text() : "unknown";
  c.suite = first.suite_name;
  c.sweeps = static_cast<int>(sweeps.size());
  c.cells = static_cast<int>(sweeps[0].cells.size());
  c.pairs = sweeps[0].cells.empty() ? 0 : sweeps[0].cells[0].reps;
  c.method = sweeps[0].method;
  const bool duet = c.method != "processes";
  for (const char* measure : {"pp_tok_s", "tg_tok_s"}) {
    for (const Kind& kind : duet ? std::vector<Kind>(std::begin(kDuetKinds), std::end(kDuetKinds))
                                 : std::vector<Kind>(std::begin(kKinds), std::end(kKinds))) {
      const std::optional<KindCalibration> k = calibrate_kind(sweeps, measure, kind, current, s);
      if (!k) continue;
      set_threshold(c.recommended.timing[measure], kind.name, k->recommended);
      c.kinds.push_back(*k);
    }
  }
  c.recommended.calibration = calibration_json(c);
  return c;
}

namespace {

std::string mde_text(double m) { return m > 0.8 ? "> 80%" : fmt_percent(m, 1); }

}  // namespace

std::string render_calibration_markdown(const Calibration& c) {
  std::ostringstream o;
  o << "## bench-all calibrate: A/A on " << c.machine << "\n\n";
  o << "Suite `" << c.suite << "`, method `" << c.method << "`, " << c.sweeps << " paired sweeps of one build against "
    << "itself, " << c.pairs << " pairs per cell, " << c.cells << " speed cells, " << c.date << ". Each comparison "
    << "below is one the gate "
    << "would make with nothing changed: `compare` (arm A of sweep x as baseline, arm B of sweep y as current), "
    << "`ratio` (the same for each KV type's tok/s relative to fp32 in its own run) and `ab` (the paired test "
    << "within a sweep; `duet` for sweeps of `--method duet`: the paired test of one duet run, whose pairs are "
    << "rounds of slices). A false alarm is a regression or improvement verdict. Recommended threshold: the largest "
    << "A/A deviation seen x 1.25, rounded up to 0.5% (at least 2%). Minimum detectable slowdown (MDE): the "
    << "smallest throughput loss flagged as a regression in 95% of trials (the real comparisons and re-drawn ones) "
    << "at the recommended threshold, and at the threshold in use now.\n\n";
  o << "| Measure | Check | A/A comparisons | largest deviation | threshold now | false alarms now | recommended | "
       "false alarms at recommended | MDE median | MDE worst cell | MDE median now | MDE worst cell now |\n";
  o << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& k : c.kinds)
    o << "| " << k.measure << " | " << k.kind << " | " << k.comparisons << " | " << fmt_percent(k.worst_deviation, 1)
      << " | " << fmt_percent(k.current, 1) << " | " << k.false_alarms_current << " ("
      << fmt_percent(k.comparisons ? static_cast<double>(k.false_alarms_current) / k.comparisons : 0, 1) << ") | "
      << fmt_percent(k.recommended, 1) << " | " << k.false_alarms_recommended << " | " << mde_text(k.mde_median)
      << " | " << mde_text(k.mde_max) << " | " << mde_text(k.mde_median_current) << " | " << mde_text(k.mde_max_current)
      << " |\n";
  o << "\n<details><summary>MDE per cell</summary>\n\n| Measure | Check | Cell | MDE |\n|---|---|---|---:|\n";
  for (const auto& k : c.kinds)
    for (const auto& cell : k.cells)
      o << "| " << k.measure << " | " << k.kind << " | `" << cell.cell << "` | " << mde_text(cell.mde) << " |\n";
  o << "\n</details>\n";
  return o.str();
}

json calibration_json(const Calibration& c) {
  json j{{"date", c.date}, {"machine", c.machine}, {"suite", c.suite}, {"method", c.method}, {"sweeps", c.sweeps},
         {"pairs", c.pairs},
         {"cells", c.cells}, {"method", "recommended = largest A/A |1 - ratio| x 1.25, rounded up to 0.5%, at least 2%; "
                                        "MDE = smallest slowdown flagged in 95% of trials"}};
  j["kinds"] = json::array();
  for (const auto& k : c.kinds) {
    json x{{"measure", k.measure}, {"kind", k.kind}, {"comparisons", k.comparisons},
           {"worst_deviation", k.worst_deviation}, {"threshold_before", k.current},
           {"false_alarms_before", k.false_alarms_current}, {"recommended", k.recommended},
           {"false_alarms_at_recommended", k.false_alarms_recommended}, {"mde_median", k.mde_median},
           {"mde_max", k.mde_max}, {"mde_median_at_threshold_before", k.mde_median_current},
           {"mde_max_at_threshold_before", k.mde_max_current}};
    x["mde_per_cell"] = json::object();
    for (const auto& cell : k.cells) x["mde_per_cell"][cell.cell] = cell.mde;
    j["kinds"].push_back(x);
  }
  return j;
}

}  // namespace quant::harness
