#include <chrono>
#include <cstdio>

#include "context.h"
#include "modes.h"
#include "quant/error.h"
#include "quant/sampler.h"
#include "report.h"

namespace quant::cli {

int run_generate(const Options& o) {
  Context ctx(o);
  auto tok = ctx.tokenizer();
  // Special tokens written in the prompt (chat templates) are parsed, as llama.cpp's CLI does.
  std::vector<int> prompt = tok->encode(o.prompt, tok->vocab().add_bos, /*parse_special=*/true);
  if (prompt.empty()) throw InputError("-p: the prompt is empty and the model adds no BOS token");
  const int n_ctx = o.n_ctx > 0 ? o.n_ctx : std::min(ctx.model->config().n_ctx_train, 4096);
  if (static_cast<int>(prompt.size()) + o.n_predict > n_ctx)
    throw InputError("-n: prompt (" + std::to_string(prompt.size()) + " tokens) + " + std::to_string(o.n_predict) +
                     " new tokens exceed the context size " + std::to_string(n_ctx) + " (raise -c)");
  // The cache holds what this generation uses, not a -c far beyond it.
  auto session = ctx.session(o, std::min<int>(n_ctx, static_cast<int>(prompt.size()) + o.n_predict), o.k_type, o.v_type);
  FILE* text_out = o.json ? stderr : stdout;

  SamplerOptions so{o.temperature, o.top_k, o.top_p, o.seed};
  Sampler sampler(so);
  const int n_vocab = ctx.model->config().n_vocab;
  std::vector<float> logits(n_vocab);
  std::string text = tok->decode(prompt);
  std::fputs(text.c_str(), text_out);
  std::fflush(text_out);

  auto t0 = std::chrono::steady_clock::now();
  session->eval(prompt.data(), static_cast<int>(prompt.size()), logits.data(), false);
  auto t1 = std::chrono::steady_clock::now();
  std::vector<int> generated;
  bool stopped_at_eos = false;
  for (int i = 0; i < o.n_predict; ++i) {
    int next = sampler.sample(logits.data(), n_vocab);
    if (next == tok->eos()) { stopped_at_eos = true; break; }
    generated.push_back(next);
    std::string piece = tok->token_to_piece(next);
    text += piece;
    std::fputs(piece.c_str(), text_out);
    std::fflush(text_out);
    if (i + 1 < o.n_predict) session->eval(&next, 1, logits.data(), false);
  }
  auto t2 = std::chrono::steady_clock::now();
  std::fputc('\n', text_out);

  if (o.json) {
    nlohmann::json j = base_report(o, "generate");
    add_model(j, o, *ctx.model);
    add_backend(j, ctx.backend_requested, *ctx.backend);
    add_kv(j, *session);
    j["config"]["temperature"] = o.temperature;
    j["config"]["top_k"] = o.top_k;
    j["config"]["top_p"] = o.top_p;
    const double pp_s = std::chrono::duration<double>(t1 - t0).count();
    const double tg_s = std::chrono::duration<double>(t2 - t1).count();
    j["generate"] = {{"prompt_tokens", prompt}, {"generated_tokens", generated}, {"text", text},
                     {"stopped_at_eos", stopped_at_eos}, {"prompt_seconds", pp_s}, {"generate_seconds", tg_s},
                     {"tokens_in_cache", session->n_past()}};
    emit_json(j);
  }
  return 0;
}

}  // namespace quant::cli
