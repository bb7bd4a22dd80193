#include "bpe_tokenizer.h"
#include "quant/error.h"
#include "spm_tokenizer.h"

namespace quant {

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  std::string model(f.get_string("tokenizer.ggml.model"));
  if (model == "llama") return make_spm_tokenizer(f);
  if (model == "gpt2") return make_bpe_tokenizer(f);
  throw InputError(f.path() + ": key tokenizer.ggml.model: unsupported tokenizer '" + model +
                   "' (supported: llama, gpt2)");
}

}  // namespace quant
