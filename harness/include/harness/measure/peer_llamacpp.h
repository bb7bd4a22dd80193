#pragma once
// llama.cpp as a peer engine (variant kind "llama.cpp"): its prebuilt llama-bench and llama-perplexity
// measure the same cells as quant (same model file, text, context, chunks, threads, repetitions), and
// their output becomes run records of the same results schema. Cache types map fp32 -> f32,
// fp16 -> f16, q8_0 -> q8_0, q4_0 -> q4_0; a type llama.cpp lacks is a cell "unsupported by llama.cpp",
// never another type. Output formats are llama.cpp's documented ones (llama-bench -o json; the
// "Final estimate: PPL = X +/- Y" line of llama-perplexity). Layout in docs/bench-all-peers.md.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/plan/cells.h"
#include "harness/plan/inputs.h"
#include "harness/util/process.h"
#include "harness/measure/quant_run.h"
#include "harness/measure/variant_build.h"
#include "harness/plan/variants.h"

namespace quant::harness {

// llama.cpp's name for one of quant's cache types, for the tool a cell of `metric` runs
// (llama-bench has no f32 cache); nothing when llama.cpp has no such type.
std::optional<std::string> llamacpp_cache_type(const std::string& quant_type, Metric metric);

// "unsupported by llama.cpp: ..." when the peer cannot measure the cell as asked, else "".
std::string llamacpp_unsupported(const Cell& c, const Variant& v);

// Flash attention for the cell: "needed" turns it on only for a quantised V cache (llama.cpp requires it there).
bool llamacpp_flash_attn(const Cell& c, const Variant& v);

// The llama-bench (speed) or llama-perplexity (ppl) command line of one repetition.
std::vector<std::string> llamacpp_command(const Cell& c, const Variant& v, const std::string& bin_dir,
                                          const Inputs& inputs);

// One test of llama-bench's JSON output.
struct LlamaBenchTest {
  int n_prompt = 0, n_gen = 0, n_depth = 0, n_threads = 0;
  std::string type_k, type_v, backends, model_filename;
  bool flash_attn = false;
  std::vector<double> samples_ts;  // tok/s of each repetition
  nlohmann::json raw;              // the whole object (provenance)
};
// Parses `llama-bench -o json` stdout; throws std::runtime_error naming what is wrong.
std::vector<LlamaBenchTest> parse_llama_bench_json(const std::string& out);

struct LlamaPerplexity {
  double ppl = 0, uncertainty = 0;  // "Final estimate: PPL = X +/- Y"
  int n_chunks = 0, n_ctx = 0;      // "calculating perplexity over N chunks, n_ctx=C"
  int n_threads = 0;                // system_info's n_threads (0 when not printed)
  int progress_chunks = 0;          // "[i]ppl," running estimates printed
  std::string system_info;
};
// Parses llama-perplexity's stdout and stderr (either may hold the lines); throws std::runtime_error.
LlamaPerplexity parse_llama_perplexity(const std::string& out, const std::string& err);

// The line of a failed run's stderr where llama.cpp says it cannot do what was asked (a cache type
// it lacks, a block size that does not divide the head dim, an unknown architecture), without its log
// prefix; "" when the failure is not such a limitation.
std::string llamacpp_limitation(const std::string& err);

// Runs one repetition. llama-bench logs nothing without -v, and llama-perplexity's asynchronous log can
// lose its last lines when it exits on an error, so when a run fails without saying why, a one-token
// `llama-bench -v` with the same model, cache types, flash attention and threads runs once (untimed, a
// diagnosis only) and the limitation it states, if any, is appended to the run's stderr. The same log
// can lose the final lines of a successful llama-perplexity (about 1 run in 10 here); such a run is
// repeated, at most twice (its result is deterministic), and the sample records `reruns`.
ProcessResult run_llamacpp(const std::vector<std::string>& argv, double timeout_s);

// A repetition's record: ok with a sample in quant's sample layout (pp_tok_s / tg_tok_s; ppl /
// ppl_uncertainty), or an error. A limitation becomes the error "unsupported by llama.cpp: <line>",
// which makes the cell unsupported (settle_status).
RunRecord interpret_llamacpp_run(const Cell& c, int index, const Variant& v, const Inputs& inputs,
                                 const std::vector<std::string>& argv, const ProcessResult& p, const std::string& date);

// The binary folder from the variant's bin_dir candidates (or `override_dir`): "" with `why` set
// when none applies. `from` says which candidate (e.g. "$LLAMA_CPP_BIN").
std::string llamacpp_bin_dir(const Variant& v, const std::string& root, const std::string& override_dir,
                             std::string& from, std::string& why);

// Finds the binaries and records their provenance (sha256 of every file in the folder, the version
// line, the README's table beside the folder). Not found or not runnable: built = false with the reason
// "not installed: ...", which makes every cell of the peer "unsupported: not installed: ...".
VariantBuild prepare_llamacpp(const Variant& v, const std::string& root, const std::string& override_dir);

// `| key | value |` rows of a Markdown table (the peer README's provenance table).
nlohmann::json markdown_table_rows(const std::string& markdown);

}  // namespace quant::harness
