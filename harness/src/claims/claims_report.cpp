#include "harness/claims/claims_report.h"

#include <cmath>

#include "harness/judge/methodology.h"

namespace quant::harness {

using nlohmann::json;

namespace {

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

json select_json(const ClaimSelect& s) {
  json j = json::object();
  if (!s.model.empty()) j["model"] = s.model;
  if (!s.variant.empty()) j["variant"] = s.variant;
  if (!s.text.empty()) j["text"] = s.text;
  if (s.kv) j["kv"] = {{"k", s.kv->k}, {"v", s.kv->v}};
  if (s.ctx) j["ctx"] = s.ctx;
  if (s.depth >= 0) j["depth"] = s.depth;
  return j;
}

json check_json(const ClaimCheck& k, const CheckOutcome& o) {
  json cells = json::array();
  for (const CellResult* c : o.cells) cells.push_back(c->cell.id);
  const bool measured = !o.cells.empty() && (o.pass || !o.figure.empty());
  json j{{"path", k.path},
         {"measure", claim_measure_name(k.measure)},
         {"select", select_json(k.select)},
         {"bound", bound_name(k.bound)},
         {"confidence", k.confidence},
         {"op", op_text(k.op)},
         {"value", k.value},
         {"pass", o.pass},
         {"absent", o.absent},
         {"measured", measured ? number_or_null(o.measured) : json()},
         {"interval", measured ? json::array({number_or_null(o.lo), number_or_null(o.hi)}) : json()},
         {"compared", measured ? number_or_null(o.compared) : json()},
         {"figure", o.figure},
         {"cells", cells},
         {"reason", o.why}};
  if (k.measure == Measure::speed_ratio) {
    j["timing"] = timing_name(k.timing);
    j["against"] = k.against_kv ? json{{"kv", {{"k", k.against_kv->k}, {"v", k.against_kv->v}}}}
                                : json{{"variant", k.against_variant}};
  }
  if (k.measure == Measure::compression) j["part"] = part_name(k.part), j["vs"] = vs_name(k.vs);
  return j;
}

}  // namespace

json claim_verdict_json(const Claim& c, const ClaimOutcome& o) {
  bool absent = true;
  for (const auto& ch : o.checks) absent &= ch.absent;
  json checks = json::array();
  for (size_t i = 0; i < c.checks.size() && i < o.checks.size(); ++i) checks.push_back(check_json(c.checks[i], o.checks[i]));
  return {{"id", c.id},
          {"text", c.text},
          {"verdict", absent ? "not covered" : o.pass ? "holds" : "fails"},
          {"checks", checks},
          {"reasons", o.reasons}};
}

json claims_report_json(const ClaimsFile& claims, const Results* results, const std::string& results_file,
                        const std::vector<LintedDoc>& docs) {
  json j{{"schema", "bench-all.claims-verdict"}, {"schema_version", 1}, {"claims_file", claims.file}};
  int failures = 0;
  j["results"] = results ? json{{"file", results_file}, {"run_id", results->run_id}, {"suite", results->suite_name}} : json();
  j["methodology"] = json::array();
  j["claims"] = json::array();
  std::map<std::string, int> counts{{"holds", 0}, {"fails", 0}, {"not covered", 0}};
  if (results) {
    for (const auto& v : check_methodology(*results)) {
      j["methodology"].push_back({{"rule", v.rule}, {"message", v.message}});
      ++failures;
    }
    for (const auto& c : claims.claims) {
      const json v = claim_verdict_json(c, evaluate_claim(c, *results));
      counts[v["verdict"].get<std::string>()]++;
      failures += v["verdict"] == "fails";
      j["claims"].push_back(v);
    }
  }
  j["documents"] = json::array();
  int escapes = 0;
  for (const auto& d : docs) {
    json problems = json::array(), esc = json::array();
    for (const auto& p : d.problems) problems.push_back({{"line", p.line}, {"message", p.message}});
    for (const auto& e : d.escapes) esc.push_back({{"line", e.line}, {"reason", e.reason}, {"sentence", e.sentence}});
    j["documents"].push_back({{"file", d.file}, {"problems", problems}, {"escapes", esc}});
    failures += static_cast<int>(d.problems.size());
    escapes += static_cast<int>(d.escapes.size());
  }
  j["counts"] = {{"holds", counts["holds"]}, {"fails", counts["fails"]}, {"not_covered", counts["not covered"]},
                 {"escapes", escapes}, {"problems", failures}};
  j["verdict"] = failures ? "fail" : "pass";
  return j;
}

}  // namespace quant::harness
