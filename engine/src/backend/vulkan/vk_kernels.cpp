#include "vk_kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace quant::vk {

namespace {

struct EmbeddedShader {
  const char* name;
  const unsigned char* spirv;
  size_t size;
};
#include "vulkan/shaders.inc"

const EmbeddedShader& shader(const char* name) {
  for (const auto& s : kEmbeddedShaders)
    if (std::strcmp(s.name, name) == 0) return s;
  throw std::logic_error(std::string("vulkan: shader not embedded: ") + name);
}

struct MatmulPush {
  uint32_t rows, cols, n_tok, x_off, x_stride, y_off, y_stride, accumulate;
};
struct RmsnormPush {
  uint32_t n, x_off, x_stride, y_off, y_stride;
  float eps;
  uint32_t accumulate;
};
struct GatedActPush {
  uint32_t n4;
};

constexpr uint32_t kTokenTile = 8;      // tokens per pass over a weight row in batched matmuls
constexpr uint32_t kMaxGroupsX = 65535; // the smallest maxComputeWorkGroupCount[0] Vulkan guarantees

int type_index(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::BF16: return 2;
    case GgmlType::Q8_0: return 3;
    case GgmlType::Q4_0: return 4;
    default: throw std::logic_error("vulkan: no matmul kernel for this weight type");
  }
}

uint32_t env_uint(const char* name, uint32_t def, uint32_t lo, uint32_t hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return def;
  long x = std::strtol(v, nullptr, 10);
  return x < lo || x > hi ? def : static_cast<uint32_t>(x);
}

}  // namespace

Kernels::Kernels(Device& dev) : dev_(dev) {
  const uint32_t wg = dev.info().subgroup_size;
  const uint32_t shared_reduce = dev.info().fixed_subgroup ? 0 : 1;
  rows_per_group_ = env_uint("QUANT_VULKAN_ROWS", 1, 1, 64);
  const char* names[5] = {"matmul_f32", "matmul_f16", "matmul_bf16", "matmul_q8_0", "matmul_q4_0"};
  const auto texel = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, storage = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  for (int t = 0; t < 5; ++t) {
    const EmbeddedShader& s = shader(names[t]);
    for (int batched = 0; batched < 2; ++batched)
      matmul_[t][batched] = dev.create_kernel(s.spirv, s.size, {texel, texel, texel, storage}, sizeof(MatmulPush),
                                              {wg, shared_reduce, batched ? kTokenTile : 1, rows_per_group_});
  }
  const EmbeddedShader& rms = shader("rmsnorm");
  rmsnorm_ = dev.create_kernel(rms.spirv, rms.size, {texel, texel, storage}, sizeof(RmsnormPush), {wg, shared_reduce});
  const EmbeddedShader& act = shader("gated_act");
  for (uint32_t gelu = 0; gelu < 2; ++gelu)
    gated_act_[gelu] =
        dev.create_kernel(act.spirv, act.size, {texel, texel, storage}, sizeof(GatedActPush), {std::max(wg, 64u), gelu});
  no_scales_ = dev.create_buffer(16);
}

const Kernel& Kernels::matmul_kernel(GgmlType type, bool batched) const {
  return matmul_[type_index(type)][batched ? 1 : 0];
}

int Kernels::matmul(const DeviceWeight& W, View x, int n_tok, View y, bool accumulate) {
  if (x.offset % 4 != 0 || x.stride % 4 != 0 || (n_tok > 1 && x.stride < padded(static_cast<uint32_t>(W.cols))))
    throw std::logic_error("vulkan matmul: x rows must be 4-float aligned and padded");
  const Kernel& k = matmul_kernel(W.type, n_tok > 1);
  for (const DeviceWeight::Part& part : W.parts) {
    const Buffer& scales = part.scales.buffer ? part.scales : no_scales_;
    VkDescriptorSet set = dev_.descriptor_set(k, {{&part.data, VK_FORMAT_R32G32B32A32_UINT},
                                                  {&scales, VK_FORMAT_R32_SFLOAT},
                                                  {x.buffer, VK_FORMAT_R32G32B32A32_SFLOAT},
                                                  {y.buffer}});
    MatmulPush p{static_cast<uint32_t>(part.rows), static_cast<uint32_t>(W.cols), static_cast<uint32_t>(n_tok),
                 x.offset, x.stride, y.offset + static_cast<uint32_t>(part.row0), y.stride, accumulate ? 1u : 0u};
    const uint32_t groups = static_cast<uint32_t>((part.rows + rows_per_group_ - 1) / rows_per_group_);
    const uint32_t gx = std::min(groups, kMaxGroupsX);
    dev_.dispatch(k, set, &p, gx, (groups + gx - 1) / gx);
  }
  return static_cast<int>(W.parts.size());
}

int Kernels::rmsnorm(View x, const Buffer& weight, int n, float eps, int n_tok, View y, bool accumulate) {
  if (x.offset % 4 != 0 || x.stride % 4 != 0 || y.offset % 4 != 0 || y.stride % 4 != 0)
    throw std::logic_error("vulkan rmsnorm: rows must be 4-float aligned");
  VkDescriptorSet set = dev_.descriptor_set(rmsnorm_, {{x.buffer, VK_FORMAT_R32G32B32A32_SFLOAT},
                                                       {&weight, VK_FORMAT_R32G32B32A32_SFLOAT},
                                                       {y.buffer}});
  RmsnormPush p{static_cast<uint32_t>(n), x.offset, x.stride, y.offset, y.stride, eps, accumulate ? 1u : 0u};
  dev_.dispatch(rmsnorm_, set, &p, static_cast<uint32_t>(n_tok));
  return 1;
}

int Kernels::gated_act(const Buffer& a, const Buffer& b, uint32_t n, bool gelu) {
  if (n % 4 != 0) throw std::logic_error("vulkan gated_act: n must be a multiple of 4");
  const Kernel& k = gated_act_[gelu ? 1 : 0];
  VkDescriptorSet set =
      dev_.descriptor_set(k, {{&a, VK_FORMAT_R32G32B32A32_SFLOAT}, {&b, VK_FORMAT_R32G32B32A32_SFLOAT}, {&a}});
  GatedActPush p{n / 4};
  const uint32_t wg = std::max(dev_.info().subgroup_size, 64u);
  dev_.dispatch(k, set, &p, std::min((n / 4 + wg - 1) / wg, kMaxGroupsX));
  return 1;
}

}  // namespace quant::vk
