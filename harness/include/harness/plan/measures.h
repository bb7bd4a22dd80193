#pragma once
// The measures bench-all knows, with their one name table: results, analysis, verdict and claims files
// name measures with these strings, and the code compares the enum (a switch without `default` makes
// the compiler name every case a new measure needs).
#include <string>
#include <vector>

namespace quant::harness {

enum class Measure {
  pp_tok_s,              // prompt processing, tok/s (a list per run)
  tg_tok_s,              // generation, tok/s (a list per run)
  ppl,                   // perplexity
  ppl_delta,             // paired PPL difference to an fp32 cache (claims state it in % of the fp32 PPL)
  kld,                   // mean KL divergence to an fp32 cache
  top1,                  // top-1 agreement with an fp32 cache
  pp_instr_per_token,    // instruction counts under Valgrind
  pp_ll_miss_per_token,
  tg_instr_per_token,
  tg_ll_miss_per_token,
  kv_bytes_per_token,    // the cache's size (from the engine section, not a sample)
  speed_ratio,           // claims: tok/s of a cell over tok/s of a reference cell
  compression,           // claims: the cache's compression ratio (engine section)
};

// The two timed parts of a speed cell: prompt processing and generation.
enum class Timing { pp, tg };
const char* timing_name(Timing t);  // "pp", "tg"
Measure tok_s_of(Timing t);         // pp_tok_s, tg_tok_s

// What kind of figure a measure is: how it is judged and where it comes from.
enum class MeasureKind { timing, quality, count, geometry, claim_ratio };

// Every measure, in the enum's order (tests walk it).
const std::vector<Measure>& all_measures();

// The measure's name in results, analysis and verdict files ("ppl_delta").
const char* measure_name(Measure m);
// The measure's name in claims files: the same except "ppl_delta_pct" (claims state the delta in %).
const char* claim_measure_name(Measure m);
MeasureKind measure_kind(Measure m);
bool is_timing(Measure m);
bool higher_is_better(Measure m);  // tok/s, top-1 agreement, ratios; not PPL, KLD, counts or bytes

// The measure a name means (either spelling of ppl_delta); nothing for an unknown name.
bool measure_from_name(const std::string& name, Measure& out);
// As measure_from_name, but an unknown name is an InputError "<where>: unknown measure 'x' (valid: ...)".
Measure parse_measure(const std::string& name, const std::string& where);

}  // namespace quant::harness
