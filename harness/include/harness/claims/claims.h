#pragma once
// Claims (claims/claims.json, schema "bench-all.claims"): each a sentence plus machine-checkable
// checks over a results file, with the confidence each bound needs. Format in docs/bench-all-gate.md.
#include <optional>
#include <string>
#include <vector>

#include "harness/plan/measures.h"
#include "harness/store/results.h"

namespace quant::harness {

struct ClaimSelect {
  std::string model, variant, text;  // variant "" = the results' default variant
  std::optional<KvPair> kv;
  int ctx = 0;     // ppl cells; 0 = any
  int depth = -1;  // speed cells; -1 = any
};

// Which end of the check's interval is held against its value.
enum class Bound { upper, lower, point };  // "upper", "lower" (ends of the two-sided CI), "point"
enum class CompareOp { less, less_equal, greater, greater_equal };  // "<", "<=", ">", ">="
enum class CompressedPart { k, kv };       // "k" (keys only), "kv" (keys and values)
enum class CompressedVs { fp16, fp32 };    // the uncompressed cache it is relative to

const char* bound_name(Bound b);
const char* op_text(CompareOp op);
const char* part_name(CompressedPart p);
const char* vs_name(CompressedVs v);
bool satisfies(double x, CompareOp op, double value);  // x <op> value
bool is_upper_op(CompareOp op);  // < or <=
bool is_lower_op(CompareOp op);  // > or >=

struct ClaimCheck {
  // ppl_delta ("ppl_delta_pct" in claims files): paired PPL difference to an fp32 cache in % of the fp32
  // PPL (engine's s.e.); ppl, kld, top1: the quality figures; speed_ratio: tok/s of the cell / tok/s of
  // `against` (bootstrap CI); compression: the cache's compression (deterministic).
  Measure measure = Measure::ppl;
  ClaimSelect select;
  Timing timing = Timing::tg;          // speed_ratio
  std::optional<KvPair> against_kv;    // speed_ratio reference: another KV pair (same variant)...
  std::string against_variant;         // ...or another variant (same KV pair)
  CompressedPart part = CompressedPart::kv;  // compression
  CompressedVs vs = CompressedVs::fp32;      // compression
  Bound bound = Bound::point;
  double confidence = 0.95;
  CompareOp op = CompareOp::less;
  double value = 0;
  std::string path;                    // JSON path in the claims file, for messages
};

struct Claim {
  std::string id, text, path;
  std::vector<ClaimCheck> checks;
};

struct ClaimsFile {
  std::string file;
  std::vector<Claim> claims;
  const Claim* find(const std::string& id) const;
};

ClaimsFile load_claims(const std::string& path);
std::string claims_path(const std::string& root);  // <root>/claims/claims.json

struct CheckOutcome {
  bool pass = false;
  bool absent = false; // the results hold no cell the check selects (another suite)
  std::string figure;  // the measured figure with its interval, e.g. "+6.30% [+5.10%, +7.50%]"
  std::string why;     // why it fails (empty when it passes)
  double measured = 0; // the point value (compression: the ratio; speed_ratio: the ratio)
  double lo = 0, hi = 0;  // the two-sided interval at the check's confidence (lo = hi = measured: deterministic)
  double compared = 0; // the value held against `value`: lo, hi or measured, as `bound` says
  std::vector<const CellResult*> cells;  // cells the figure came from
};

struct ClaimOutcome {
  const Claim* claim = nullptr;
  bool pass = false;
  std::vector<CheckOutcome> checks;
  std::vector<std::string> reasons;  // every failed check and wording problem, one line each
};

CheckOutcome evaluate_check(const ClaimCheck& c, const Results& r);
// Checks plus the wording rules applied to the claim's own sentence.
ClaimOutcome evaluate_claim(const Claim& c, const Results& r);

// Wording rules for a sentence backed by `claim` (its own text, or a document sentence linking it):
// "lossless"/"no quality loss" need a tight PPL bound, "faster than"/"beats" and other comparatives a
// one-sided bound past the reference, parity wording a two-sided interval inside a stated margin, hedged
// wording ("near-lossless") a bound the sentence states, a superlative a win over every alternative of
// the run, every "N x" / "+N%" / "nine-fold" figure must be a checked value, compression figures must
// say K-only or K+V and vs fp16 or fp32 (matching the check), "context N" needs N tokens in the cache,
// and a figure from a non-default variant must name it (claim_rules.cpp, claim_rank_rules.cpp).
std::vector<std::string> wording_problems(const std::string& sentence, const Claim& claim,
                                          const std::vector<CheckOutcome>& outcomes, const Results& r);

// The claim-like phrases in a sentence ("lossless", "7x", "+13%", "faster than", ...; claim_wording.h).
std::vector<std::string> claim_phrases(const std::string& sentence);

// The release notes' "Claims" section: every claim of `claims_file` checked against the release's
// results, each linked as [claim: ID](link) so the notes pass `bench-all claims --lint`; measured figures
// are in code spans. Empty when the claims file does not exist.
std::string release_claims_section(const std::string& claims_file, const std::string& link, const Results& r);

}  // namespace quant::harness
