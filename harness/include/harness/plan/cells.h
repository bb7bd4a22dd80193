#pragma once
// Cells: one (variant, model, KV pair, metric, parameters) combination each; a cell's repetitions are
// separate `quant --json` processes. The plan is the suite expanded into cells in a fixed order.
#include <string>
#include <vector>

#include "harness/plan/inputs.h"
#include "harness/plan/suite.h"

namespace quant::harness {

enum class Metric { ppl, speed, counts };
const char* metric_name(Metric m);

struct Cell {
  std::string id;
  std::string variant, model, text;  // text: ppl cells only
  KvPair kv;
  Metric metric = Metric::speed;
  int ctx = 0, chunks = 0;           // ppl
  bool kld = false;                  // ppl
  int n_prompt = 0, n_gen = 0, depth = 0, inner_reps = 0;  // speed
  bool random_depth = false;  // speed, quant only: --depth-fill random
  int threads = 1;
  int reps = 1, warmup = 0;          // measured processes, and unmeasured ones run first
  double timeout_s = 300;
  int runs() const { return warmup + reps; }
  // Parameters as JSON-friendly key/value pairs (what the results file records).
  std::string params_text() const;
};

// "<variant>/<model>/<k>,<v>/ppl/<text>/c<ctx>", "<variant>/<model>/<k>,<v>/speed/p<P>n<N>/d<depth>" or
// ".../counts/p<P>n<N>/d<depth>".
std::string cell_id(const Cell& c);

// Deterministic order: model, metric, text/ctx or depth, KV pair, then variant (innermost, so the builds
// compared with each other run back to back).
std::vector<Cell> plan_cells(const Suite& suite, const Inputs& inputs);

struct Shard {
  int index = 1, count = 1;  // 1-based: shard i of n
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};
Shard parse_shard(const std::string& text);  // "i/n"; InputError naming --shard otherwise
// The cells whose position p in the full plan has p % n == i - 1; shards are disjoint and cover the plan.
std::vector<Cell> shard_cells(const std::vector<Cell>& plan, const Shard& shard);

// sha256 over every cell's id and parameters plus the suite and input hashes: shards that are to be
// merged and journals that are to be resumed must agree on it.
std::string plan_sha256(const std::vector<Cell>& plan, const Suite& suite, const Inputs& inputs);

}  // namespace quant::harness
