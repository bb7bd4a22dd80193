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

// Repacks one row of t into dst (units * unit bytes) and scales (one float per unit).
void repack_row(const Tensor& t, int64_t r, int64_t units, uint8_t* dst, float* scales) {
  const size_t row_out = units * unit_data_bytes(t.type);
  const uint8_t* src = t.row(r);
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
        scales[u] = fp16_to_fp32(b[u].d);
      }
      break;
    }
    case GgmlType::Q4_0: {
      const auto* b = reinterpret_cast<const BlockQ4_0*>(src);
      for (int64_t u = 0; u < units; ++u) {
        std::memcpy(dst + u * 16, b[u].qs, 16);
        scales[u] = fp16_to_fp32(b[u].d);
      }
      break;
    }
    default: throw std::logic_error("repack_row: unsupported type");
  }
}

}  // namespace

DeviceWeight upload_weights(Device& dev, ThreadPool& pool, const std::vector<const Tensor*>& tensors, bool interleave) {
  const Tensor& first = *tensors.at(0);
  DeviceWeight w;
  w.type = first.type;
  w.cols = first.cols();
  w.interleaved = interleave;
  for (const Tensor* t : tensors) {
    if (!device_supports(t->type) || t->type != w.type || t->cols() != w.cols)
      throw std::logic_error("upload_weights: tensors of different types or widths");
    w.rows += t->rows();
  }
  if (interleave && (tensors.size() != 2 || tensors[0]->rows() != tensors[1]->rows()))
    throw std::logic_error("upload_weights: interleaving needs two tensors of equal height");
  // Row g of the matrix: which tensor, which of its rows.
  auto source = [&](int64_t g) -> std::pair<const Tensor*, int64_t> {
    if (interleave) return {tensors[g % 2], g / 2};
    for (const Tensor* t : tensors) {
      if (g < t->rows()) return {t, g};
      g -= t->rows();
    }
    throw std::logic_error("upload_weights: row out of range");
  };
  const int64_t units = (w.cols + unit_elements(w.type) - 1) / unit_elements(w.type);
  const size_t row_bytes = units * unit_data_bytes(w.type);
  // Stay under the texel-buffer size limit and well inside 32-bit texel indices in the shader.
  const uint64_t limit = std::min<uint64_t>(dev.info().max_texel_elements * 16, 1ull << 30);
  const int64_t rows_per_part = std::max<int64_t>(2, static_cast<int64_t>(limit / row_bytes) / 2 * 2);
  try {
    for (int64_t r0 = 0; r0 < w.rows; r0 += rows_per_part) {
      DeviceWeight::Part p;
      p.row0 = r0;
      p.rows = std::min(rows_per_part, w.rows - r0);
      p.data = dev.create_buffer(p.rows * row_bytes);
      if (has_scales(w.type)) p.scales = dev.create_buffer(p.rows * units * sizeof(float));
      w.parts.push_back(p);
      auto* data = static_cast<uint8_t*>(p.data.mapped);
      float* scales = p.scales.floats();
      const int64_t n_tasks = std::min<int64_t>(p.rows, pool.size() * 4);
      pool.parallel_for(static_cast<int>(n_tasks), [&](int task, int) {
        for (int64_t r = p.rows * task / n_tasks; r < p.rows * (task + 1) / n_tasks; ++r) {
          const auto [t, row] = source(r0 + r);
          repack_row(*t, row, units, data + r * row_bytes, scales ? scales + r * units : nullptr);
        }
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
