#pragma once
// The Vulkan backend. Weights are uploaded once and stay resident on the device. Two ways to run:
//  - "layers" (default): forward() runs whole batches, recording each layer's device work into one
//    command buffer (vulkan_forward.cpp), Q/K/V as one matmul and gate/up/activation as another;
//    submits per forward batch: n_layer + 1.
//  - "matmuls" (QUANT_VULKAN_LAYERS=0, or a model the layer pass refuses): the session's own pass
//    calls matmul(), one submit per weight matmul; submits per forward batch: 7 * n_layer + 1.
#include <map>
#include <memory>
#include <string>

#include "quant/backend.h"
#include "quant/model.h"
#include "vk_device.h"
#include "vk_kernels.h"
#include "vk_weights.h"

namespace quant::vk {

class VulkanBackend final : public Backend {
 public:
  explicit VulkanBackend(ThreadPool& pool);
  ~VulkanBackend() override;

  std::string name() const override { return "vulkan"; }
  std::string device_name() const override { return dev_.info().name; }
  std::string driver() const override { return dev_.info().driver; }
  std::string offload() const override { return ran_layers_ ? "layers" : "matmuls"; }
  void matmul(const Tensor& W, const float* x, int n_tok, float* y) override;
  bool forward(const ForwardBatch& batch) override;

 private:
  struct Source {  // what a device copy was made from
    std::string name;
    GgmlType type;
    int64_t rows, cols;
    uint64_t fingerprint;
    bool operator==(const Source&) const = default;
  };
  struct Resident {
    DeviceWeight weight;
    Buffer vector;  // 1-D tensors (norm weights)
    std::vector<Source> sources;
  };
  using ResidentKey = std::pair<std::vector<const uint8_t*>, bool>;  // tensors' data, interleaved
  struct Activations {  // device buffers of the layer pass, sized for `batch` tokens
    int batch = 0;
    int logit_rows = 0;  // rows of logits one storage-buffer descriptor can hold (<= batch)
    Buffer x, xb, hb, qkv, att, gate, logits;  // qkv: q rows, then k rows, then v rows (batch rows each)
  };

  const DeviceWeight& weight(const Tensor& t) { return weights({&t}, false); }
  // Several tensors as one matrix (see upload_weights), uploaded on first use.
  const DeviceWeight& weights(const std::vector<const Tensor*>& tensors, bool interleave);
  const Buffer& vector(const Tensor& t);
  Resident* find_resident(const ResidentKey& key, const std::vector<Source>& sources);
  void check_model(const Model& m);        // every matmul weight type is supported, else InputError
  std::string layer_pass_refusal(const Model& m) const;  // "" when the layer pass can run m
  Activations& activations(const ModelConfig& c, int n);
  void submit();
  void grow(Buffer& b, size_t bytes);
  void run_layers(const ForwardBatch& b);  // vulkan_forward.cpp

  ThreadPool& pool_;
  Device dev_;  // declared first: destroyed after every buffer below
  Kernels kernels_;
  bool layers_enabled_ = true;
  bool ran_layers_ = false;
  std::map<ResidentKey, Resident> resident_;
  Buffer in_, out_;  // staging for matmul()
  Activations act_;
};

}  // namespace quant::vk
