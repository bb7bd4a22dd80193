#include "vulkan_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "quant/error.h"

namespace quant {

std::unique_ptr<Backend> make_vulkan_backend(ThreadPool& pool) { return std::make_unique<vk::VulkanBackend>(pool); }

namespace vk {

namespace {

// Samples of a tensor's bytes: tells a resident copy from a different tensor mapped at the same address.
uint64_t fingerprint(const Tensor& t) {
  const size_t bytes = t.row_bytes * static_cast<size_t>(t.rows());
  uint64_t h = 1469598103934665603ull ^ bytes;
  auto mix = [&](size_t from) {
    for (size_t i = from; i < std::min(bytes, from + 64); ++i) h = (h ^ t.data[i]) * 1099511628211ull;
  };
  mix(0);
  mix(bytes / 2);
  mix(bytes > 64 ? bytes - 64 : 0);
  return h;
}

bool layers_enabled_from_env() {
  const char* v = std::getenv("QUANT_VULKAN_LAYERS");
  if (!v || !*v || std::strcmp(v, "1") == 0) return true;
  if (std::strcmp(v, "0") == 0) return false;
  throw InputError("QUANT_VULKAN_LAYERS=" + std::string(v) + ": expected 0 (one submit per matmul) or 1 (layer pass)");
}

}  // namespace

VulkanBackend::VulkanBackend(ThreadPool& pool)
    : pool_(pool), kernels_(dev_), layers_enabled_(layers_enabled_from_env()) {}

VulkanBackend::~VulkanBackend() {
  for (auto& [key, r] : resident_) {
    release(dev_, r.weight);
    dev_.destroy(r.vector);
  }
  for (Buffer* b : {&in_, &out_, &act_.x, &act_.xb, &act_.hb, &act_.qkv, &act_.att, &act_.gate, &act_.logits})
    dev_.destroy(*b);
}

VulkanBackend::Resident* VulkanBackend::find_resident(const ResidentKey& key, const std::vector<Source>& sources) {
  auto it = resident_.find(key);
  if (it == resident_.end()) return nullptr;
  if (it->second.sources == sources) return &it->second;
  // Other tensors now live at these addresses (an earlier model was unloaded): drop the stale copy.
  release(dev_, it->second.weight);
  dev_.destroy(it->second.vector);
  resident_.erase(it);
  return nullptr;
}

const DeviceWeight& VulkanBackend::weights(const std::vector<const Tensor*>& tensors, bool interleave) {
  ResidentKey key{{}, interleave};
  std::vector<Source> sources;
  for (const Tensor* t : tensors) {
    if (!device_supports(t->type))
      throw InputError("--backend vulkan: tensor " + t->name + " has type " + std::string(ggml_type_name(t->type)) +
                       ", which the Vulkan backend cannot multiply by (use --backend cpu)",
                       kExitUnsupported);
    key.first.push_back(t->data);
    sources.push_back({t->name, t->type, t->rows(), t->cols(), fingerprint(*t)});
  }
  if (Resident* r = find_resident(key, sources); r && !r->weight.parts.empty()) return r->weight;
  Resident r{upload_weights(dev_, pool_, tensors, interleave), Buffer{}, std::move(sources)};
  return resident_.insert_or_assign(key, std::move(r)).first->second.weight;
}

const Buffer& VulkanBackend::vector(const Tensor& t) {
  const ResidentKey key{{t.data}, false};
  std::vector<Source> sources{{t.name, t.type, t.rows(), t.cols(), fingerprint(t)}};
  if (Resident* r = find_resident(key, sources); r && r->vector.buffer) return r->vector;
  Resident r{DeviceWeight{}, upload_vector(dev_, t), std::move(sources)};
  return resident_.insert_or_assign(key, std::move(r)).first->second.vector;
}

void VulkanBackend::grow(Buffer& b, size_t bytes) {
  if (b.size >= bytes) return;
  const size_t size = std::max(bytes, b.size * 2);
  dev_.destroy(b);
  b = dev_.create_buffer(size);
}

void VulkanBackend::submit() {
  if (dev_.submit_and_wait()) ++stats_.submits;
}

void VulkanBackend::matmul(const Tensor& W, const float* x, int n_tok, float* y) {
  const DeviceWeight& w = weight(W);
  const uint32_t cols = static_cast<uint32_t>(W.cols()), rows = static_cast<uint32_t>(W.rows());
  const uint32_t stride = padded(cols);
  // y must fit one storage-buffer descriptor: very wide outputs go a few tokens per submit.
  const int per_submit = static_cast<int>(std::clamp<uint64_t>(dev_.info().max_buffer_range / (4ull * rows), 1, n_tok));
  grow(in_, size_t(per_submit) * stride * sizeof(float));
  grow(out_, size_t(per_submit) * rows * sizeof(float));
  for (int t0 = 0; t0 < n_tok; t0 += per_submit) {
    const int m = std::min(per_submit, n_tok - t0);
    for (int t = 0; t < m; ++t) {  // rows padded with zeros to whole units
      float* dst = in_.floats() + size_t(t) * stride;
      std::memcpy(dst, x + size_t(t0 + t) * cols, cols * sizeof(float));
      std::fill(dst + cols, dst + stride, 0.0f);
    }
    stats_.dispatches += kernels_.matmul(w, {&in_, 0, stride}, m, View{&out_, 0, rows}, false);
    submit();
    std::memcpy(y + size_t(t0) * rows, out_.mapped, size_t(m) * rows * sizeof(float));
  }
}

void VulkanBackend::check_model(const Model& m) {
  auto check = [](const Tensor& t) {
    if (!device_supports(t.type))
      throw InputError("--backend vulkan: tensor " + t.name + " has type " + std::string(ggml_type_name(t.type)) +
                       ", which the Vulkan backend cannot multiply by (use --backend cpu)",
                       kExitUnsupported);
  };
  const Weights& w = m.weights();
  for (const LayerWeights& L : w.layers)
    for (const Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) check(*t);
  check(w.output);
}

std::string VulkanBackend::layer_pass_refusal(const Model& m) const {
  const ModelConfig& c = m.config();
  // The attention output is written by the host densely and read by the Wo matmul in whole units.
  if ((c.n_head * c.head_dim) % 8 != 0) return "n_head * head_dim not a multiple of 8";
  return "";
}

bool VulkanBackend::forward(const ForwardBatch& b) {
  check_model(b.model);
  ran_layers_ = layers_enabled_ && layer_pass_refusal(b.model).empty();
  if (!ran_layers_) return false;
  run_layers(b);
  return true;
}

VulkanBackend::Activations& VulkanBackend::activations(const ModelConfig& c, int n) {
  if (act_.batch >= n) return act_;
  const size_t B = n, qw = size_t(c.n_head) * c.head_dim, kvw = size_t(c.n_head_kv) * c.head_dim;
  const size_t E = padded(c.n_embd), F = padded(c.n_ff);
  auto make = [&](Buffer& buf, size_t floats) {
    dev_.destroy(buf);
    buf = dev_.create_buffer(floats * sizeof(float));
    std::fill_n(buf.floats(), floats, 0.0f);  // row padding must read as zeros
  };
  make(act_.x, B * E);
  make(act_.xb, B * E);
  make(act_.hb, B * E);
  make(act_.qkv, B * (qw + 2 * kvw));
  make(act_.att, B * qw);
  make(act_.gate, B * F);
  const size_t logit_rows = std::clamp<size_t>(dev_.info().max_buffer_range / (4ull * c.n_vocab), 1, B);
  make(act_.logits, logit_rows * c.n_vocab);
  act_.logit_rows = static_cast<int>(logit_rows);
  act_.batch = n;
  return act_;
}

}  // namespace vk
}  // namespace quant
