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
  uint32_t rows, cols, n_tok, x_off, x_stride, accumulate, row0, end0, end1;
  uint32_t y_off[3], y_stride[3];
};
struct RmsnormPush {
  uint32_t n, x_off, x_stride, y_off, y_stride;
  float eps;
  uint32_t accumulate;
};

constexpr uint32_t kTokenTile = 8;      // tokens per pass over a weight row in batched matmuls
constexpr uint32_t kMaxGroupsX = 65535; // the smallest maxComputeWorkGroupCount[0] Vulkan guarantees

const char* matmul_shader(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return "matmul_f32";
    case GgmlType::F16: return "matmul_f16";
    case GgmlType::BF16: return "matmul_bf16";
    case GgmlType::Q8_0: return "matmul_q8_0";
    case GgmlType::Q4_0: return "matmul_q4_0";
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
  rows_per_group_ = env_uint("QUANT_VULKAN_ROWS", 1, 1, 64);
  const auto texel = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, storage = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  const EmbeddedShader& rms = shader("rmsnorm");
  rmsnorm_ = dev.create_kernel(rms.spirv, rms.size, {texel, texel, storage}, sizeof(RmsnormPush),
                               {dev.info().subgroup_size, dev.info().fixed_subgroup ? 0u : 1u});
  no_scales_ = dev.create_buffer(16);
}

const Kernel& Kernels::matmul_kernel(GgmlType type, bool batched, Gate gate) {
  const auto key = std::make_tuple(type, batched, gate);
  if (auto it = matmul_.find(key); it != matmul_.end()) return it->second;
  const auto texel = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, storage = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  const EmbeddedShader& s = shader(matmul_shader(type));
  const uint32_t spec[] = {dev_.info().subgroup_size, dev_.info().fixed_subgroup ? 0u : 1u,
                           batched ? kTokenTile : 1u, rows_per_group_, static_cast<uint32_t>(gate)};
  Kernel k = dev_.create_kernel(s.spirv, s.size, {texel, texel, texel, storage}, sizeof(MatmulPush),
                                std::vector<uint32_t>(std::begin(spec), std::end(spec)));
  return matmul_.emplace(key, k).first->second;
}

int Kernels::matmul(const DeviceWeight& W, View x, int n_tok, const Outputs& y, bool accumulate, Gate gate) {
  if (x.offset % 4 != 0 || x.stride % 4 != 0 || (n_tok > 1 && x.stride < padded(static_cast<uint32_t>(W.cols))))
    throw std::logic_error("vulkan matmul: x rows must be 4-float aligned and padded");
  if ((gate != Gate::none) != W.interleaved) throw std::logic_error("vulkan matmul: gating needs interleaved weights");
  const Kernel& k = matmul_kernel(W.type, n_tok > 1, gate);
  const int64_t per_output = gate == Gate::none ? 1 : 2;  // weight rows per output row
  for (const DeviceWeight::Part& part : W.parts) {
    const Buffer& scales = part.scales.buffer ? part.scales : no_scales_;
    VkDescriptorSet set = dev_.descriptor_set(k, {{&part.data, VK_FORMAT_R32G32B32A32_UINT},
                                                  {&scales, VK_FORMAT_R32_SFLOAT},
                                                  {x.buffer, VK_FORMAT_R32G32B32A32_SFLOAT},
                                                  {y.buffer}});
    const uint32_t rows = static_cast<uint32_t>(part.rows / per_output);
    MatmulPush p{rows, static_cast<uint32_t>(W.cols), static_cast<uint32_t>(n_tok), x.offset, x.stride,
                 accumulate ? 1u : 0u, static_cast<uint32_t>(part.row0 / per_output), y.end[0], y.end[1],
                 {y.offset[0], y.offset[1], y.offset[2]}, {y.stride[0], y.stride[1], y.stride[2]}};
    const uint32_t groups = (rows + rows_per_group_ - 1) / rows_per_group_;
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

}  // namespace quant::vk
