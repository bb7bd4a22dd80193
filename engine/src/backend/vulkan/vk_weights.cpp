#include "vk_weights.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "quant/blocks.h"
#include "quant/half.h"

namespace quant::vk {

bool device_supports(GgmlType type) {
  switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q8_0: case GgmlType::Q4_0:
      return true;
    default:
      return false;
  }
}

int unit_elements(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return 4;
    case GgmlType::F16: case GgmlType::BF16: return 8;
    default: return kQK;
  }
}

namespace {

size_t unit_data_bytes(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return 32;
    default: return 16;  // 4 floats, 8 halves, or 32 nibbles
  }
}

bool has_scales(GgmlType type) { return type == GgmlType::Q8_0 || type == GgmlType::Q4_0; }

// Repacks rows [r0, r1) of t into data (units * unit bytes per row) and scales (one float per unit).
void repack_rows(const Tensor& t, int64_t r0, int64_t r1, int64_t units, uint8_t* data, float* scales) {
  const size_t row_out = units * unit_data_bytes(t.type);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* src = t.row(r);
    uint8_t* dst = data + (r - r0) * row_out;
    switch (t.type) {
      case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: {
        const size_t bytes = t.row_bytes;
        std::memcpy(dst, src, bytes);
        std::memset(dst + bytes, 0, row_out - bytes);
        break;
      }
      case GgmlType::Q8_0: {
        const auto* b = reinterpret_cast<const BlockQ8_0*>(src);
        for (int64_t u = 0; u < units; ++u) {
          std::memcpy(dst + u * 32, b[u].qs, 32);
          scales[(r - r0) * units + u] = fp16_to_fp32(b[u].d);
        }
        break;
      }
      case GgmlType::Q4_0: {
        const auto* b = reinterpret_cast<const BlockQ4_0*>(src);
        for (int64_t u = 0; u < units; ++u) {
          std::memcpy(dst + u * 16, b[u].qs, 16);
          scales[(r - r0) * units + u] = fp16_to_fp32(b[u].d);
        }
        break;
      }
      default: throw std::logic_error("repack_rows: unsupported type");
    }
  }
}

}  // namespace

DeviceWeight upload_weight(Device& dev, ThreadPool& pool, const Tensor& t) {
  if (!device_supports(t.type)) throw std::logic_error("upload_weight: unsupported type");
  DeviceWeight w;
  w.type = t.type;
  w.rows = t.rows();
  w.cols = t.cols();
  const int64_t units = (w.cols + unit_elements(t.type) - 1) / unit_elements(t.type);
  const size_t row_bytes = units * unit_data_bytes(t.type);
  // Stay under the texel-buffer size limit and well inside 32-bit texel indices in the shader.
  const uint64_t limit = std::min<uint64_t>(dev.info().max_texel_elements * 16, 1ull << 30);
  const int64_t rows_per_part = std::max<int64_t>(1, static_cast<int64_t>(limit / row_bytes));
  try {
    for (int64_t r0 = 0; r0 < w.rows; r0 += rows_per_part) {
      DeviceWeight::Part p;
      p.row0 = r0;
      p.rows = std::min(rows_per_part, w.rows - r0);
      p.data = dev.create_buffer(p.rows * row_bytes);
      if (has_scales(t.type)) p.scales = dev.create_buffer(p.rows * units * sizeof(float));
      w.parts.push_back(p);
      auto* data = static_cast<uint8_t*>(p.data.mapped);
      auto* scales = p.scales.floats();
      const int64_t n_tasks = std::min<int64_t>(p.rows, pool.size() * 4);
      pool.parallel_for(static_cast<int>(n_tasks), [&](int task, int) {
        const int64_t a = p.rows * task / n_tasks, b = p.rows * (task + 1) / n_tasks;
        repack_rows(t, r0 + a, r0 + b, units, data + a * row_bytes, scales ? scales + a * units : nullptr);
      });
    }
  } catch (...) {
    release(dev, w);
    throw;
  }
  return w;
}

Buffer upload_vector(Device& dev, const Tensor& t) {
  const size_t n = t.cols(), padded = (n + 7) / 8 * 8;  // zero padding: read as whole 4-float texels
  Buffer b = dev.create_buffer(padded * sizeof(float));
  std::fill_n(b.floats(), padded, 0.0f);
  dequantize_row(t, 0, b.floats());
  return b;
}

void release(Device& dev, DeviceWeight& w) {
  for (auto& p : w.parts) {
    dev.destroy(p.data);
    dev.destroy(p.scales);
  }
  w.parts.clear();
}

}  // namespace quant::vk
