#include <unistd.h>

#include <cstdio>

#include "context.h"
#include "modes.h"
#include "quant/perplexity.h"
#include "quant/sha256.h"
#include "report.h"

namespace quant::cli {

int run_perplexity(const Options& o) {
  const std::string text = read_text_file("--ppl", o.ppl_file);
  Context ctx(o);
  auto tok = ctx.tokenizer();
  const int n_ctx = o.n_ctx > 0 ? o.n_ctx : 512;
  std::vector<int> tokens = tok->encode(text, true);
  auto session = ctx.session(o, n_ctx, o.k_type, o.v_type);
  std::unique_ptr<Session> base;
  if (o.kld) base = ctx.session(o, n_ctx, KvType::fp32, KvType::fp32);

  PerplexityOptions po;
  po.n_ctx = n_ctx;
  po.max_chunks = o.chunks;
  const bool tty = isatty(fileno(stderr));
  auto progress = [&](int done, int total) {
    if (tty) std::fprintf(stderr, "\rperplexity: chunk %d/%d", done, total);
    if (tty && done == total) std::fputc('\n', stderr);
  };
  PerplexityResult r = run_perplexity(*session, base.get(), tokens, tok->bos(), po, progress);

  FILE* out = o.json ? stderr : stdout;
  std::fprintf(out, "PPL = %.4f +/- %.5f (%d chunks of %d, %d tokens scored, K %s, V %s)\n", r.ppl,
               r.ppl_uncertainty, r.n_chunks, n_ctx, r.n_scored, std::string(kv_type_name(o.k_type)).c_str(),
               std::string(kv_type_name(o.v_type)).c_str());
  if (r.has_kld)
    std::fprintf(out, "vs fp32 cache: PPL %.4f, delta %+.4f +/- %.4f, KLD %.6f +/- %.6f, top-1 agreement %.4f\n",
                 r.kld.ppl_base, r.kld.ppl_delta, r.kld.ppl_delta_uncertainty, r.kld.mean_kld,
                 r.kld.kld_uncertainty, r.kld.top1_agreement);
  if (o.json) {
    nlohmann::json j = base_report(o, "perplexity");
    add_model(j, o, *ctx.model);
    add_backend(j, ctx.backend_requested, *ctx.backend);
    add_kv(j, *session);
    j["perplexity"] = {{"text_path", o.ppl_file},
                       {"text_sha256", sha256_hex(text)},
                       {"text_bytes", text.size()},
                       {"ctx", n_ctx},
                       {"n_tokens", r.n_tokens},
                       {"n_chunks", r.n_chunks},
                       {"n_scored", r.n_scored},
                       {"ppl", r.ppl},
                       {"ppl_uncertainty", r.ppl_uncertainty},
                       {"nll_mean", r.nll_mean},
                       {"max_tokens_in_cache", r.max_tokens_in_cache}};
    if (r.has_kld)
      j["kld"] = {{"base_k_type", "fp32"},
                  {"base_v_type", "fp32"},
                  {"mean_kld", r.kld.mean_kld},
                  {"kld_uncertainty", r.kld.kld_uncertainty},
                  {"top1_agreement", r.kld.top1_agreement},
                  {"ppl_base", r.kld.ppl_base},
                  {"ppl_delta", r.kld.ppl_delta},
                  {"ppl_delta_uncertainty", r.kld.ppl_delta_uncertainty},
                  {"ppl_ratio", r.kld.ppl_ratio},
                  {"ppl_ratio_uncertainty", r.kld.ppl_ratio_uncertainty}};
    emit_json(j);
  }
  return 0;
}

}  // namespace quant::cli
