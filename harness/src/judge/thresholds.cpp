#include "harness/judge/thresholds.h"

#include <filesystem>

#include "harness/util/json_check.h"
#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

const TimingThresholds& Thresholds::of(const std::string& measure) const {
  auto it = timing.find(measure);
  if (it == timing.end()) throw InputError(file + ": no timing thresholds for measure '" + measure + "'");
  return it->second;
}

std::string thresholds_path(const std::string& root) {
  return (std::filesystem::path(root) / "baselines" / "thresholds.json").string();
}

namespace {

std::map<std::string, Tolerance> tolerances(const JsonNode& n) {
  std::map<std::string, Tolerance> out;
  for (const auto& k : n.keys()) {
    const JsonNode t = n.at(k);
    t.only({"rel", "abs"});
    out[k] = {t.at("rel").number(0, 1), t.at("abs").number(0, 1e12)};
  }
  for (const char* need : {"ppl", "ppl_delta", "kld", "top1", "bytes"})
    if (!out.count(need)) n.fail(std::string("needs a tolerance for \"") + need + "\"");
  return out;
}

json tolerances_json(const std::map<std::string, Tolerance>& m) {
  json j = json::object();
  for (const auto& [k, t] : m) j[k] = {{"rel", t.rel}, {"abs", t.abs}};
  return j;
}

}  // namespace

Thresholds load_thresholds(const std::string& path) {
  const json doc = read_json_file(path);
  const JsonNode root(doc, path);
  root.only({"schema", "schema_version", "note", "alpha", "ci_level", "timing", "cross_machine_allowance",
             "deterministic", "deterministic_cross_machine", "calibration", "counts"});
  check_schema(root, "bench-all.thresholds", 1);
  Thresholds t;
  t.file = path;
  t.alpha = root.at("alpha").number(1e-6, 0.5);
  t.ci_level = root.at("ci_level").number(0.5, 0.9999);
  const JsonNode timing = root.at("timing");
  for (const auto& m : timing.keys()) {
    const JsonNode n = timing.at(m);
    n.only({"compare", "ratio", "ab", "duet"});
    t.timing[m] = {n.at("compare").number(0, 0.9), n.at("ratio").number(0, 0.9), n.at("ab").number(0, 0.9)};
    if (auto d = n.opt("duet")) t.timing[m].duet = d->number(0, 0.9);
  }
  for (const char* need : {"pp_tok_s", "tg_tok_s"})
    if (!t.timing.count(need)) timing.fail(std::string("needs thresholds for \"") + need + "\"");
  if (auto c = root.opt("counts")) {
    c->only({"instr_per_token", "ll_miss_per_token", "ll_miss_floor_per_token"});
    t.counts.instr = c->at("instr_per_token").number(0, 0.9);
    t.counts.ll_miss = c->at("ll_miss_per_token").number(0, 0.9);
    if (auto f = c->opt("ll_miss_floor_per_token")) t.counts.ll_miss_floor = f->number(0, 1e9);
  }
  t.cross_machine_allowance = root.at("cross_machine_allowance").number(0, 0.9);
  t.deterministic = tolerances(root.at("deterministic"));
  t.deterministic_cross = tolerances(root.at("deterministic_cross_machine"));
  if (auto c = root.opt("calibration")) t.calibration = c->raw();
  return t;
}

json to_json(const Thresholds& t) {
  json j;
  j["schema"] = "bench-all.thresholds";
  j["schema_version"] = 1;
  j["note"] = "timing thresholds are written by `bench-all calibrate --write` from A/A runs; see \"calibration\"";
  j["alpha"] = t.alpha;
  j["ci_level"] = t.ci_level;
  j["timing"] = json::object();
  for (const auto& [m, x] : t.timing) j["timing"][m] = {{"compare", x.compare}, {"ratio", x.ratio}, {"ab", x.ab}, {"duet", x.duet}};
  j["counts"] = {{"instr_per_token", t.counts.instr}, {"ll_miss_per_token", t.counts.ll_miss},
                 {"ll_miss_floor_per_token", t.counts.ll_miss_floor}};
  j["cross_machine_allowance"] = t.cross_machine_allowance;
  j["deterministic"] = tolerances_json(t.deterministic);
  j["deterministic_cross_machine"] = tolerances_json(t.deterministic_cross);
  j["calibration"] = t.calibration.is_null() ? json::object() : t.calibration;
  return j;
}

}  // namespace quant::harness
