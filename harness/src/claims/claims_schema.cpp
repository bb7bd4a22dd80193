// Reading claims/claims.json (schema "bench-all.claims") into typed checks: every name in the file is
// turned into its enum here, once, and a wrong one is an InputError naming the JSON path.
#include <filesystem>

#include "harness/claims/claims.h"
#include "harness/util/json_check.h"
#include "quant/kv_types.h"

namespace quant::harness {

using nlohmann::json;

const Claim* ClaimsFile::find(const std::string& id) const {
  for (const auto& c : claims)
    if (c.id == id) return &c;
  return nullptr;
}

std::string claims_path(const std::string& root) {
  return (std::filesystem::path(root) / "claims" / "claims.json").string();
}

const char* bound_name(Bound b) {
  switch (b) {
    case Bound::upper: return "upper";
    case Bound::lower: return "lower";
    case Bound::point: return "point";
  }
  return "?";
}

const char* op_text(CompareOp op) {
  switch (op) {
    case CompareOp::less: return "<";
    case CompareOp::less_equal: return "<=";
    case CompareOp::greater: return ">";
    case CompareOp::greater_equal: return ">=";
  }
  return "?";
}

const char* part_name(CompressedPart p) {
  switch (p) {
    case CompressedPart::k: return "k";
    case CompressedPart::kv: return "kv";
  }
  return "?";
}

const char* vs_name(CompressedVs v) {
  switch (v) {
    case CompressedVs::fp16: return "fp16";
    case CompressedVs::fp32: return "fp32";
  }
  return "?";
}

bool satisfies(double x, CompareOp op, double value) {
  switch (op) {
    case CompareOp::less: return x < value;
    case CompareOp::less_equal: return x <= value;
    case CompareOp::greater: return x > value;
    case CompareOp::greater_equal: return x >= value;
  }
  return false;
}

bool is_upper_op(CompareOp op) { return op == CompareOp::less || op == CompareOp::less_equal; }
bool is_lower_op(CompareOp op) { return op == CompareOp::greater || op == CompareOp::greater_equal; }

namespace {

// The enum value whose name is the node's string, over the enum's values; `expected` otherwise.
template <class E, size_t N>
E enum_of(const JsonNode& n, const E (&values)[N], const char* (*name)(E), const std::string& expected) {
  const std::string s = n.str();
  for (E v : values)
    if (s == name(v)) return v;
  n.fail(expected);
}

constexpr Bound kBounds[] = {Bound::upper, Bound::lower, Bound::point};
constexpr CompareOp kOps[] = {CompareOp::less, CompareOp::less_equal, CompareOp::greater, CompareOp::greater_equal};
constexpr Timing kTimings[] = {Timing::tg, Timing::pp};
constexpr CompressedPart kParts[] = {CompressedPart::k, CompressedPart::kv};
constexpr CompressedVs kVs[] = {CompressedVs::fp16, CompressedVs::fp32};
// The measures a claim can check, in the order the error message lists them.
constexpr Measure kClaimMeasures[] = {Measure::ppl_delta, Measure::ppl,         Measure::kld,
                                      Measure::top1,      Measure::speed_ratio, Measure::compression};

Measure claim_measure_of(const JsonNode& n) {
  const std::string s = n.str();
  Measure m{};
  if (measure_from_name(s, m))
    for (Measure ok : kClaimMeasures)
      if (m == ok) return m;
  std::string valid;
  for (Measure ok : kClaimMeasures) valid += (valid.empty() ? "" : ", ") + std::string(claim_measure_name(ok));
  n.fail("unknown measure '" + s + "' (valid: " + valid + ")");
}

KvPair kv_of(const JsonNode& n) {
  auto name = [](const JsonNode& x) {
    const std::string s = x.str();
    if (!parse_kv_type(s)) x.fail("unknown KV cache type '" + s + "' (valid: " + kv_type_list() + ")");
    return s;
  };
  if (n.is_string()) {
    const std::string s = name(n);
    return {s, s};
  }
  n.only({"k", "v"});
  return {name(n.at("k")), name(n.at("v"))};
}

ClaimSelect select_of(const JsonNode& n) {
  n.only({"model", "variant", "kv", "text", "ctx", "depth"});
  ClaimSelect s;
  if (auto x = n.opt("model")) s.model = x->str();
  if (auto x = n.opt("variant")) s.variant = x->str();
  if (auto x = n.opt("text")) s.text = x->str();
  if (auto x = n.opt("kv")) s.kv = kv_of(*x);
  if (auto x = n.opt("ctx")) s.ctx = static_cast<int>(x->integer(1, 1 << 24));
  if (auto x = n.opt("depth")) s.depth = static_cast<int>(x->integer(0, 1 << 24));
  return s;
}

// speed_ratio's own fields: the timed part and exactly one reference.
void speed_ratio_fields(const JsonNode& n, ClaimCheck& c) {
  if (auto t = n.opt("timing")) c.timing = enum_of(*t, kTimings, timing_name, "expected \"tg\" or \"pp\"");
  const JsonNode a = n.at("against");
  a.only({"kv", "variant"});
  if (auto k = a.opt("kv")) c.against_kv = kv_of(*k);
  if (auto v = a.opt("variant")) c.against_variant = v->str();
  if (c.against_kv.has_value() == !c.against_variant.empty())
    a.fail("name exactly one reference: \"kv\" (another cache type) or \"variant\" (another build)");
}

// compression's own fields: what was compressed, against what; a deterministic figure.
void compression_fields(const JsonNode& n, ClaimCheck& c) {
  const JsonNode part = n.at("part"), vs = n.at("vs");
  c.part = enum_of(part, kParts, part_name, "expected \"k\" (keys only) or \"kv\" (keys and values)");
  c.vs = enum_of(vs, kVs, vs_name, "expected \"fp16\" or \"fp32\"");
  if (c.bound != Bound::point) n.at("bound").fail("compression is deterministic: use \"point\"");
}

ClaimCheck check_of(const JsonNode& n) {
  n.only({"measure", "select", "timing", "against", "part", "vs", "bound", "confidence", "op", "value"});
  ClaimCheck c;
  c.path = n.path();
  c.measure = claim_measure_of(n.at("measure"));
  c.select = select_of(n.at("select"));
  if (auto b = n.opt("bound")) c.bound = enum_of(*b, kBounds, bound_name, "expected \"upper\", \"lower\" or \"point\"");
  if (auto x = n.opt("confidence")) c.confidence = x->number(0.5, 0.9999);
  c.op = enum_of(n.at("op"), kOps, op_text, "expected <, <=, > or >=");
  c.value = n.at("value").number(-1e12, 1e12);
  if (c.measure == Measure::speed_ratio) speed_ratio_fields(n, c);
  else if (n.has("against") || n.has("timing")) n.fail("\"against\" and \"timing\" belong to speed_ratio checks");
  if (c.measure == Measure::compression) compression_fields(n, c);
  else if (n.has("part") || n.has("vs")) n.fail("\"part\" and \"vs\" belong to compression checks");
  return c;
}

}  // namespace

ClaimsFile load_claims(const std::string& path) {
  const json doc = read_json_file(path);
  const JsonNode root(doc, path);
  root.only({"schema", "schema_version", "note", "claims"});
  check_schema(root, "bench-all.claims", 1);
  ClaimsFile f;
  f.file = path;
  for (const auto& n : root.at("claims").items()) {
    n.only({"id", "text", "checks"});
    Claim c;
    c.path = n.path();
    c.id = n.at("id").str();
    if (!is_lower_id(c.id)) n.at("id").fail("claim ids use a-z, 0-9, '_', '.', '-'");
    if (f.find(c.id)) n.at("id").fail("duplicate claim id '" + c.id + "'");
    c.text = n.at("text").str();
    const auto checks = n.at("checks").items();
    if (checks.empty()) n.at("checks").fail("a claim needs at least one check");
    for (const auto& k : checks) c.checks.push_back(check_of(k));
    f.claims.push_back(c);
  }
  return f;
}

}  // namespace quant::harness
