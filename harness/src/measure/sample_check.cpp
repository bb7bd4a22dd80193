#include "harness/measure/sample_check.h"

#include <limits>
#include <string>

namespace quant::harness {

namespace {

constexpr double kBig = std::numeric_limits<double>::max();

void positive_list(const JsonNode& list, size_t expected) {
  const std::vector<JsonNode> items = list.items();
  if (items.size() != expected)
    list.fail("expected " + std::to_string(expected) + " values (the cell's inner repetitions), got " +
              std::to_string(items.size()));
  for (const auto& x : items)
    if (x.number(0, kBig) <= 0) x.fail("expected a positive number, got " + x.shown());
}

void ppl_sample(const JsonNode& s, const Cell& c) {
  if (s.at("ppl").number(0, kBig) <= 0) s.at("ppl").fail("expected a positive perplexity, got " + s.at("ppl").shown());
  s.at("ppl_uncertainty").number(0, kBig);
  for (const char* k : {"n_chunks", "ctx"}) s.at(k).integer(0, int64_t{1} << 40);
  // quant reports these too; a peer engine's perplexity tool does not.
  if (auto x = s.opt("nll_mean")) x->number(-kBig, kBig);
  for (const char* k : {"n_tokens", "n_scored", "max_tokens_in_cache"})
    if (auto x = s.opt(k)) x->integer(0, int64_t{1} << 40);
  if (auto x = s.opt("text_sha256")) x->str_or_empty();
  if (!c.kld) return;
  const JsonNode k = s.at("kld");
  k.at("mean_kld").number(0, kBig);
  k.at("kld_uncertainty").number(0, kBig);
  k.at("top1_agreement").number(0, 1);
  k.at("ppl_delta").number(-kBig, kBig);
  k.at("ppl_delta_uncertainty").number(0, kBig);
  k.at("ppl_ratio_uncertainty").number(0, kBig);
  for (const char* key : {"ppl_base", "ppl_ratio"})
    if (k.at(key).number(0, kBig) <= 0) k.at(key).fail("expected a positive number, got " + k.at(key).shown());
}

// A duet round (bench-all ab/calibrate, quant --serve-bench slices): one slice's tok/s per measured part.
void slice_sample(const JsonNode& s) {
  bool any = false;
  for (const char* k : {"pp_tok_s", "tg_tok_s"})
    if (auto x = s.opt(k)) {
      const std::vector<JsonNode> items = x->items();
      if (items.empty()) x->fail("expected at least one value");
      for (const auto& v : items)
        if (v.number(0, kBig) <= 0) v.fail("expected a positive number, got " + v.shown());
      any = true;
    }
  if (!any) s.fail("a duet slice needs \"pp_tok_s\" or \"tg_tok_s\"");
  if (auto d = s.opt("test_delay_us")) d->number(0, kBig);
}

void speed_sample(const JsonNode& s, const Cell& c) {
  if (!s.opt("n_prompt")) return slice_sample(s);  // quant --bench always reports its workload
  for (const char* k : {"n_prompt", "n_gen", "depth", "max_tokens_in_cache"}) s.at(k).integer(0, int64_t{1} << 40);
  if (auto d = s.opt("test_delay_us")) d->number(0, kBig);
  positive_list(s.at("pp_tok_s"), c.n_prompt > 0 ? static_cast<size_t>(c.inner_reps) : 0);
  positive_list(s.at("tg_tok_s"), c.n_gen > 0 ? static_cast<size_t>(c.inner_reps) : 0);
}

// Instruction counts under Valgrind: per token of each measured part.
void count_sample(const JsonNode& s, const Cell& c) {
  for (const char* part : {"pp", "tg"}) {
    if ((std::string(part) == "pp" ? c.n_prompt : c.n_gen) == 0) continue;
    const JsonNode ir = s.at(std::string(part) + "_instr_per_token");
    if (ir.number(0, kBig) <= 0) ir.fail("expected a positive instruction count, got " + ir.shown());
    s.at(std::string(part) + "_ll_miss_per_token").number(0, kBig);
  }
  if (!s.at("counter").is_object()) s.at("counter").fail("expected an object");
}

void non_negative_numbers(const JsonNode& section, std::initializer_list<const char*> keys) {
  if (!section.is_object()) section.fail("expected an object, got " + section.shown());
  for (const char* k : keys)
    if (auto x = section.opt(k)) x->number(0, kBig);
}

}  // namespace

void check_sample(const JsonNode& sample, const Cell& cell) {
  if (!sample.is_object()) sample.fail("expected an object, got " + sample.shown());
  switch (cell.metric) {
    case Metric::ppl: return ppl_sample(sample, cell);
    case Metric::counts: return count_sample(sample, cell);
    case Metric::speed: return speed_sample(sample, cell);
  }
}

void check_engine(const JsonNode& engine) {
  if (!engine.is_object()) engine.fail("expected an object, got " + engine.shown());
  for (const char* k : {"build", "system", "backend", "config"})
    if (auto x = engine.opt(k); x && !x->is_object()) x->fail("expected an object, got " + x->shown());
  // The fields reports read, so a wrong type is this error rather than an exception inside a report.
  if (auto b = engine.opt("build")) {
    check_field_types(*b, {"version", "git_commit", "compiler", "cxx_flags", "build_type", "simd"}, {"git_dirty"});
    if (auto o = b->opt("cmake_options")) (void)o->keys();
  }
  if (auto b = engine.opt("backend")) check_field_types(*b, {"requested", "used", "device", "driver"});
  if (auto c = engine.opt("config")) check_field_types(*c, {"command"});
  if (auto w = engine.opt("warnings")) (void)w->items();
  if (auto kv = engine.opt("kv")) {
    non_negative_numbers(*kv, {"k_bytes_per_token", "v_bytes_per_token", "k_bits_per_element", "v_bits_per_element"});
    if (auto comp = kv->opt("compression")) non_negative_numbers(*comp, {"k_vs_fp16", "k_vs_fp32", "kv_vs_fp16", "kv_vs_fp32"});
  }
  if (auto m = engine.opt("model"))
    non_negative_numbers(*m, {"n_params", "n_layer", "n_head", "n_head_kv", "head_dim", "n_embd", "n_vocab"});
}

}  // namespace quant::harness
