#include <cstdio>
#include <map>

#include "modes.h"
#include "quant/model.h"
#include "quant/tokenizer.h"
#include "context.h"
#include "report.h"

namespace quant::cli {

int run_info(const Options& o) {
  auto model = Model::load(o.model, o.mmap ? WeightMemory::mmap : WeightMemory::copy);
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
  // What this architecture does differently from Llama, and how each layer attends.
  j["model"]["features"] = feature_names(c);
  j["model"]["attn_scale"] = c.attn_scale;
  j["model"]["embd_scale"] = c.embd_scale;
  j["model"]["sliding_window"] = c.sliding_window;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : c.layers)
    layers.push_back({{"window", l.window}, {"rope_base", l.rope_base}, {"rope_freq_scale", l.rope_freq_scale}});
  j["model"]["layers"] = layers;
  j["model"]["tensor_types"] = type_counts;
  j["model"]["gguf_version"] = model->file().version();
  j["model"]["n_tensors"] = model->file().tensors().size();
  j["model"]["tokenizer"] = {{"model", tok->vocab().model}, {"pre", tok->vocab().pre}, {"n_vocab", tok->n_vocab()},
                             {"bos", tok->bos()}, {"eos", tok->eos()}, {"add_bos", tok->vocab().add_bos}};
  if (o.json) {
    emit_json(j);
  } else {
    std::printf("%s", j["model"].dump(2).c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace quant::cli
