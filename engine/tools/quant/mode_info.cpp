#include <cstdio>
#include <map>

#include "modes.h"
#include "quant/model.h"
#include "quant/tokenizer.h"
#include "context.h"
#include "report.h"

namespace quant::cli {

int run_info(const Options& o) {
  auto model = Model::load(o.model);
  auto tok = Tokenizer::from_gguf(model->file());
  const ModelConfig& c = model->config();
  std::map<std::string, uint64_t> type_counts;
  for (const auto& t : model->file().tensors()) type_counts[std::string(ggml_type_name(t.type))]++;
  nlohmann::json j = base_report(o, "info");
  add_model(j, o, *model);
  j["model"]["rope_base"] = c.rope_base;
  j["model"]["rope_dim"] = c.rope_dim;
  j["model"]["rms_eps"] = c.rms_eps;
  j["model"]["tied_embeddings"] = c.tied_embeddings;
  j["model"]["tensor_types"] = type_counts;
  j["model"]["gguf_version"] = model->file().version();
  j["model"]["n_tensors"] = model->file().tensors().size();
  j["model"]["tokenizer"] = {{"n_vocab", tok->n_vocab()}, {"bos", tok->bos()}, {"eos", tok->eos()}};
  if (o.json) {
    emit_json(j);
  } else {
    std::printf("%s", j["model"].dump(2).c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace quant::cli
