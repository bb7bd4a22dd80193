#include "harness/judge/compare.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/judge/count_gate.h"
#include "harness/judge/gate_visibility.h"
#include "harness/measure/sample.h"
#include "harness/stats/format.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

int GateReport::count(Verdict v) const {
  int n = 0;
  for (const auto& c : checks) n += c.decision.verdict == v;
  return n;
}

bool GateReport::failed() const {
  for (const auto& c : checks)
    if (c.decision.verdict == Verdict::regression || c.needs_baseline_update) return true;
  return false;
}

std::vector<std::pair<int, double>> run_values(const CellResult& c, const std::string& measure) {
  const Measure m = parse_measure(measure, "run_values");
  std::vector<std::pair<int, double>> out;
  for (const auto& r : c.runs) {
    if (!r.ok() || r.warmup) continue;
    const std::vector<double> v = sample_values(sample_of(r), m);
    if (!v.empty()) out.emplace_back(r.index, median(v));
  }
  return out;
}

std::vector<double> round_ratios(const CellResult& cell, const CellResult& ref, const std::string& measure) {
  std::map<int, double> r;
  for (const auto& [i, x] : run_values(ref, measure)) r[i] = x;
  std::vector<double> out;
  for (const auto& [i, x] : run_values(cell, measure))
    if (r.count(i)) out.push_back(x / r[i]);
  return out;
}

std::vector<double> values_only(const std::vector<std::pair<int, double>>& v) {
  std::vector<double> out;
  for (const auto& [i, x] : v) out.push_back(x);
  return out;
}

std::string GateReport::outcome() const {
  if (failed()) return "fail";
  if (no_baseline) return "no baseline";
  if (count(Verdict::cannot_decide) > 0) return "cannot decide";
  return "pass";
}

int gate_exit_code(const GateReport& g) {
  const std::string o = g.outcome();
  return o == "fail" ? 1 : o == "no baseline" ? kExitNoBaseline : o == "cannot decide" ? kExitCannotDecide : 0;
}

namespace {

double median_of(const CellResult& c, const std::string& measure) {
  const Measure m = parse_measure(measure, "median_of");
  std::vector<double> v;
  for (const auto& r : c.runs)
    if (r.ok() && !r.warmup)
      for (double x : sample_values(sample_of(r), m)) v.push_back(x);
  return v.empty() ? 0 : median(v);
}

// Merged shards ran on different machines at different times: a cell and its reference are only
// compared when the same shard measured both (shard i of n holds the plan positions p with p % n == i - 1).
bool same_shard(const Results& r, const CellResult& a, const CellResult& b) {
  const int n = static_cast<int>(r.merged_from.size());
  return n < 2 || a.plan_index % n == b.plan_index % n;
}

double kv_bytes(const CellResult& c) {
  const json& kv = c.engine.contains("kv") ? c.engine.at("kv") : json();
  if (!kv.is_object()) return -1;
  return kv.value("k_bytes_per_token", 0.0) + kv.value("v_bytes_per_token", 0.0);
}

struct Comparer {
  const Results& cur;
  const Thresholds& t;
  const std::vector<std::pair<BaselineUse, Results>>& all;
  GateReport& g;

  BootstrapOptions boot(const std::string& key) const {
    BootstrapOptions o;
    o.level = t.ci_level;
    o.seed = derive_seed(1, key);
    return o;
  }

  void timing(const BaselineUse& bu, const std::string& cell, const std::string& measure, const std::string& kind,
              const std::vector<double>& base, const std::vector<double>& now, double threshold) {
    Check c{bu.variant, cell, measure, kind, "", "", true, {}, threshold, {}, false};
    c.evidence = unpaired_evidence(base, now, boot(kind + "|" + cell + "|" + measure));
    const bool ratio = kind != "absolute";
    auto shown = [&](const std::vector<double>& v) {
      if (v.empty()) return std::string("—");
      return (ratio ? fmt_ratio(median(v)) : fmt_rate(median(v)) + " tok/s") + " (n=" + std::to_string(v.size()) + ")";
    };
    c.baseline = shown(base);
    c.current = shown(now);
    if (!base.empty()) c.baseline_value = median(base);
    if (!now.empty()) c.current_value = median(now);
    c.unit = ratio ? "ratio" : "tok/s";
    c.n_baseline = static_cast<int>(base.size());
    c.n_current = static_cast<int>(now.size());
    c.decision = decide_timing(c.evidence, t.alpha, threshold);
    g.checks.push_back(c);
  }

  void deterministic(const BaselineUse& bu, const std::string& cell, const std::string& measure, double base,
                     double now, const Tolerance& tol, bool higher_is_worse) {
    Check c{bu.variant, cell, measure, "deterministic", fmt("%.10g", base), fmt("%.10g", now), false, {}, 0, {}, false};
    c.baseline_value = base;
    c.current_value = now;
    c.decision = decide_deterministic(base, now, tol, higher_is_worse);
    c.needs_baseline_update = c.decision.verdict != Verdict::unchanged;
    g.checks.push_back(c);
  }

  // The baseline cell of the default variant measured in the same run as `bu` (for variant ratios).
  const CellResult* default_in_same_run(const BaselineUse& bu, const std::string& id) const {
    for (const auto& [u, r] : all)
      if (u.run_id == bu.run_id && r.variant(u.variant) && r.variant(u.variant)->variant.is_default) return r.cell(id);
    return nullptr;
  }

  void compare(const BaselineUse& bu, const Results& base) {
    const auto& tol = bu.same_machine ? t.deterministic : t.deterministic_cross;
    const double allowance = bu.same_machine ? 0 : t.cross_machine_allowance;
    const std::string def = cur.default_variant().variant.name;
    std::set<std::string> bytes_seen;
    for (const auto& b : base.cells) {
      if (!b.ok()) continue;
      const std::string& id = b.cell.id;
      const CellResult* c = cur.cell(id);
      if (!c) {
        g.checks.push_back({bu.variant, id, "", "status", "ok", "not in this run", false, {}, 0,
                            {Verdict::inconclusive, "the baseline has this cell but this run does not (suite changed?)"},
                            false});
        continue;
      }
      if (!c->ok()) {
        const bool absent = c->status == "missing" || c->status == "unsupported";
        g.checks.push_back({bu.variant, id, "", "status", "ok", c->status, false, {}, 0,
                            {absent ? Verdict::inconclusive : Verdict::regression,
                             (absent ? "not measured here: " : "measured in the baseline, now failing: ") + c->reason},
                            false});
        continue;
      }
      if (c->cell.threads != b.cell.threads) {
        g.checks.push_back({bu.variant, id, "", "status", std::to_string(b.cell.threads) + " threads",
                            std::to_string(c->cell.threads) + " threads", false, {}, 0,
                            {Verdict::inconclusive, "different thread counts are not compared"}, false});
        continue;
      }
      const std::string geometry = b.cell.variant + "/" + b.cell.model + "/" + b.cell.kv.k + "," + b.cell.kv.v;
      if (bytes_seen.insert(geometry).second)
        deterministic(bu, id, "kv_bytes_per_token", kv_bytes(b), kv_bytes(*c), tol.at("bytes"), true);
      if (b.cell.metric == Metric::counts) {
        for (auto& x : judge_counts(bu.variant, b, *c, t)) g.checks.push_back(x);
        continue;
      }
      if (b.cell.metric == Metric::ppl) {
        for (const auto& m : measures_of(b.cell))
          deterministic(bu, id, m, median_of(b, m), median_of(*c, m), tol.at(m),
                        !higher_is_better(parse_measure(m, "measures_of")));
        continue;
      }
      for (const auto& m : measures_of(b.cell)) {
        const TimingThresholds& th = t.of(m);
        if (bu.same_machine)
          timing(bu, id, m, "absolute", values_only(run_values(b, m)), values_only(run_values(*c, m)), th.compare);
        const KvPair fp32{"fp32", "fp32"};
        if (!(b.cell.kv == fp32)) {
          const std::string ref = cell_id_with(b.cell, b.cell.variant, fp32);
          const CellResult* rb = base.cell(ref);
          const CellResult* rc = cur.cell(ref);
          if (rb && rc && rc->ok() && same_shard(base, b, *rb) && same_shard(cur, *c, *rc))
            timing(bu, id, m, "kv_vs_fp32", round_ratios(b, *rb, m), round_ratios(*c, *rc, m), th.ratio + allowance);
        }
        if (b.cell.variant != def) {
          const std::string ref = cell_id_with(b.cell, def, b.cell.kv);
          const CellResult* rb = default_in_same_run(bu, ref);
          const CellResult* rc = cur.cell(ref);
          if (rb && rc && rc->ok() && same_shard(base, b, *rb) && same_shard(cur, *c, *rc))
            timing(bu, id, m, "variant_vs_default", round_ratios(b, *rb, m), round_ratios(*c, *rc, m),
                   th.ratio + allowance);
        }
      }
    }
    int fresh = 0;
    for (const auto& c : cur.cells)
      if (c.cell.variant == bu.variant && c.ok() && !base.cell(c.cell.id)) ++fresh;
    if (fresh)
      g.notes.push_back("variant `" + bu.variant + "`: " + std::to_string(fresh) +
                        " measured cells have no baseline yet (new cells are not judged)");
  }
};

}  // namespace

GateReport compare_results(const Results& current, const std::vector<std::pair<BaselineUse, Results>>& baselines,
                           const Thresholds& t) {
  GateReport g;
  g.command = "compare";
  g.thresholds = t;
  Comparer cmp{current, t, baselines, g};
  for (const auto& [bu, base] : baselines) {
    g.baselines.push_back(bu);
    if (!bu.same_machine && !bu.ratios_only)
      g.notes.push_back("variant `" + bu.variant + "`: the baseline was measured on another machine class (" +
                        bu.machine.text() + "); absolute tok/s are not compared, only within-run ratios, with " +
                        fmt_percent(t.cross_machine_allowance, 0) + " added to their thresholds");
    cmp.compare(bu, base);
  }
  return g;
}

std::vector<std::pair<BaselineUse, Results>> find_baselines(const Results& current, const std::string& root,
                                                            std::vector<std::string>& notes) {
  // Shards measured on different machines: no machine class, so no absolute timings (ratios of cells
  // measured by the same shard, and deterministic figures, are still judged).
  const std::optional<Machine> m = machine_of(current);
  if (!m) notes.push_back("the run merges shards measured on different machines: absolute tok/s are not judged");
  const std::vector<BaselineFile> all = list_baselines(root, current.suite_name);
  if (all.empty())
    throw InputError("compare: no baselines for suite " + current.suite_name + " in " +
                     baseline_dir(root, current.suite_name) + " (store one with: bench-all baseline update RESULTS)",
                     kExitNoBaseline);
  std::vector<std::pair<BaselineUse, Results>> out;
  for (const auto& v : current.variants) {
    bool measured = false;
    for (const auto& c : current.cells) measured |= c.cell.variant == v.variant.name && c.ok();
    const std::optional<BaselineChoice> choice =
        choose_baseline(all, v.variant.name, m.value_or(Machine{"mixed machines", "mixed", 0}));
    if (!choice) {
      if (measured) notes.push_back("variant `" + v.variant.name + "`: no baseline stored for suite " +
                                    current.suite_name + "; its cells are not judged");
      continue;
    }
    Results base = load_results(choice->file.path);
    BaselineUse bu{v.variant.name, choice->file.path, base.run_id, choice->file.machine, choice->same_machine};
    out.emplace_back(bu, std::move(base));
  }
  return out;
}

std::vector<std::pair<BaselineUse, Results>> explicit_baseline(const Results& current, const std::string& file) {
  const Results base = load_results(file);
  if (base.suite_name != current.suite_name)
    throw InputError("--baseline " + file + ": results of suite " + base.suite_name + ", the current run is suite " +
                     current.suite_name);
  const std::optional<Machine> mb = machine_of(base), mc = machine_of(current);
  std::vector<std::pair<BaselineUse, Results>> out;
  for (const auto& v : base.variants) {
    bool any = false;
    for (const auto& c : base.cells) any |= c.cell.variant == v.variant.name && c.ok();
    if (!any) continue;
    BaselineUse bu{v.variant.name, file, base.run_id, mb.value_or(Machine{"mixed", "mixed", 0}), mb && mc && *mb == *mc};
    out.emplace_back(bu, baseline_of_variant(base, v.variant.name));
  }
  return out;
}

namespace {

std::string evidence_text(const Check& c) {
  if (!c.has_timing) return "—";
  return fmt_ratio_ci(c.evidence.ratio, c.evidence.ci);
}

void rows(std::ostringstream& o, const std::vector<const Check*>& list) {
  o << "| Verdict | Cell | Measure | Check | Baseline | Current | Ratio [CI] | p | Threshold | Why |\n";
  o << "|---|---|---|---|---:|---:|---:|---:|---:|---|\n";
  for (const Check* c : list)
    o << "| " << verdict_name(c->decision.verdict) << (c->needs_baseline_update ? " (needs baseline update)" : "")
      << " | `" << c->cell << "` | " << c->measure << " | " << c->kind << " | " << md_escape(c->baseline) << " | "
      << md_escape(c->current) << " | " << evidence_text(*c) << " | "
      << (c->has_timing ? fmt("%.3g", c->evidence.p) : "—") << " | "
      << (c->has_timing ? fmt_percent(c->threshold, 1) : "—") << " | " << md_escape(c->decision.why) << " |\n";
  o << "\n";
}

}  // namespace

std::string render_gate_markdown(const GateReport& g) {
  std::ostringstream o;
  const int reg = g.count(Verdict::regression), imp = g.count(Verdict::improvement),
            inc = g.count(Verdict::inconclusive), same = g.count(Verdict::unchanged),
            undecided = g.count(Verdict::cannot_decide);
  int updates = 0;
  for (const auto& c : g.checks) updates += c.needs_baseline_update;
  std::string outcome = g.outcome();
  for (auto& ch : outcome) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  o << "## bench-all " << g.command << ": " << outcome << "\n\n";
  if (!g.title.empty()) o << g.title << "\n\n";
  o << g.checks.size() << " checks: " << reg << " regression" << (reg == 1 ? "" : "s") << ", " << imp << " improvement"
    << (imp == 1 ? "" : "s") << ", " << inc << " inconclusive, " << same << " unchanged";
  if (undecided) o << ", " << undecided << " cannot decide";
  if (updates) o << "; " << updates << " deterministic figure" << (updates == 1 ? "" : "s") << " changed (needs a reviewed baseline update)";
  o << ".\n\n";
  for (const auto& b : g.baselines)
    o << "- Baseline for `" << b.variant << "`: `" << b.file << "` (run `" << b.run_id << "`, " << b.machine.text()
      << (b.ratios_only ? ", judged as another host (--ratios-only)"
          : b.same_machine ? ", same machine class" : ", **another machine class**") << ")\n";
  for (const auto& n : g.notes) o << "- " << n << "\n";
  const Thresholds& t = g.thresholds;
  o << "- Rules: a timing is a regression when the test gives p < " << fmt("%.3g", t.alpha) << ", the "
    << fmt("%.0f", t.ci_level * 100) << "% CI of the ratio lies below 1 and the ratio is below 1 - threshold. Thresholds (";
  std::string th;
  for (const auto& [m, x] : t.timing)
    th += (th.empty() ? "" : "; ") + m + ": compare " + fmt_percent(x.compare, 1) + ", ratios " + fmt_percent(x.ratio, 1) +
          ", A/B " + fmt_percent(x.ab, 1);
  o << th << ") from `" << t.file << "`"
    << (t.calibration.contains("date") ? ", calibrated " + t.calibration.value("date", "") + " on " +
                                             t.calibration.value("machine", "?")
                                       : ", not calibrated")
    << ".\n\n";
  std::vector<const Check*> decisive, rest;
  for (const auto& c : g.checks)
    (c.decision.verdict == Verdict::unchanged ? rest : decisive).push_back(&c);
  std::stable_sort(decisive.begin(), decisive.end(), [](const Check* a, const Check* b) {
    auto rank = [](const Check* c) {
      return c->decision.verdict == Verdict::regression ? 0 : c->needs_baseline_update ? 1
             : c->decision.verdict == Verdict::improvement ? 2 : 3;
    };
    return rank(a) < rank(b);
  });
  if (!decisive.empty()) rows(o, decisive);
  if (!rest.empty()) {
    o << "<details><summary>" << rest.size() << " unchanged checks</summary>\n\n";
    rows(o, rest);
    o << "</details>\n\n";
  }
  if (!g.failed() && undecided)
    o << "CANNOT DECIDE is not a pass: " << undecided << " check" << (undecided == 1 ? "" : "s")
      << " could never flag a slowdown (too few repetitions for the test to reach p < alpha, or figures that are "
         "not comparable). Run more repetitions (speed `reps`) or store a comparable baseline.\n\n";
  if (g.no_baseline)
    o << "NO BASELINE is not a pass: nothing was judged. Store one with `bench-all baseline update RESULTS`.\n\n";
  if (g.failed() && g.command == "compare")
    o << "A regression fails the gate. If a change is intended (a deterministic figure moved, or a slowdown is "
         "accepted), store new baselines in the same change: `bench-all baseline update RESULTS`.\n";
  o << "\n" << visibility_footer(g);
  return o.str();
}

namespace {

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

}  // namespace

json gate_json(const GateReport& g) {
  json j;
  j["schema"] = "bench-all.verdict";
  j["schema_version"] = 2;  // 2: baseline/current are numbers (null for status checks), their text in *_text
  j["command"] = g.command;
  j["verdict"] = g.outcome();
  j["title"] = g.title;
  j["counts"] = {{"regression", g.count(Verdict::regression)}, {"improvement", g.count(Verdict::improvement)},
                 {"inconclusive", g.count(Verdict::inconclusive)}, {"unchanged", g.count(Verdict::unchanged)},
                 {"cannot_decide", g.count(Verdict::cannot_decide)}};
  j["notes"] = g.notes;
  j["baselines"] = json::array();
  for (const auto& b : g.baselines)
    j["baselines"].push_back({{"variant", b.variant}, {"file", b.file}, {"run_id", b.run_id},
                              {"machine", b.machine.text()}, {"same_machine", b.same_machine}});
  j["thresholds"] = to_json(g.thresholds);
  j["checks"] = json::array();
  for (const auto& c : g.checks) {
    json x{{"variant", c.variant}, {"cell", c.cell}, {"measure", c.measure}, {"kind", c.kind},
           {"baseline", number_or_null(c.baseline_value)}, {"current", number_or_null(c.current_value)},
           {"unit", c.unit}, {"baseline_text", c.baseline}, {"current_text", c.current},
           {"verdict", verdict_name(c.decision.verdict)}, {"why", c.decision.why},
           {"needs_baseline_update", c.needs_baseline_update}};
    if (c.has_timing) x["n_baseline"] = c.n_baseline, x["n_current"] = c.n_current;
    if (c.has_timing)
      x["timing"] = {{"ratio", c.evidence.ratio}, {"ci", {c.evidence.ci.lo, c.evidence.ci.hi}}, {"p", c.evidence.p},
                     {"n_baseline", c.evidence.n_base}, {"n_current", c.evidence.n_cur}, {"threshold", c.threshold}};
    j["checks"].push_back(x);
  }
  return j;
}

}  // namespace quant::harness
