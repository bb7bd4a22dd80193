// Model::regroup_for_cpu_decode: the CPU backend's one-time rewrite of matmul weights into the layout its
// decode kernels read fastest (quant/matmul.h). Kept apart from loading: the file's bytes stay GGUF
// until a backend that wants this asks for it (the Vulkan backend uploads GGUF blocks).
#include <set>

#include "quant/matmul.h"
#include "quant/model.h"

namespace quant {

int Model::regroup_for_cpu_decode() {
  uint8_t* writable = file_->writable_bytes();
  if (!writable) return 0;
  const uint8_t* base = file_->bytes();
  std::vector<Tensor*> matmul_weights;
  for (LayerWeights& L : weights_.layers)
    for (Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) matmul_weights.push_back(t);
  matmul_weights.push_back(&weights_.output);
  // Views of the same bytes are rewritten once (none today but output tied to token_embd, which is skipped).
  std::set<const uint8_t*> seen = {weights_.token_embd.data};
  int changed = 0;
  for (Tensor* t : matmul_weights) {
    if (!t->present() || !seen.insert(t->data).second) continue;
    if (regroup_for_decode(*t, writable + (t->data - base))) ++changed;
  }
  regrouped_ += changed;
  return changed;
}

}  // namespace quant
