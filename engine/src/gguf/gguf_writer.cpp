#include "quant/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "quant/error.h"

namespace quant {

namespace {
template <typename T>
void put(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}
void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
}  // namespace

void GgufWriter::add(const std::string& key, GgufValueType type, std::vector<uint8_t> payload) {
  for (auto& kv : kvs_)
    if (kv.key == key) { kv.type = type; kv.payload = std::move(payload); return; }
  kvs_.push_back({key, type, std::move(payload)});
}

void GgufWriter::set_u32(const std::string& k, uint32_t v) { std::vector<uint8_t> p; put(p, v); add(k, GgufValueType::UINT32, p); }
void GgufWriter::set_i32(const std::string& k, int32_t v) { std::vector<uint8_t> p; put(p, v); add(k, GgufValueType::INT32, p); }
void GgufWriter::set_u64(const std::string& k, uint64_t v) { std::vector<uint8_t> p; put(p, v); add(k, GgufValueType::UINT64, p); }
void GgufWriter::set_f32(const std::string& k, float v) { std::vector<uint8_t> p; put(p, v); add(k, GgufValueType::FLOAT32, p); }
void GgufWriter::set_bool(const std::string& k, bool v) { std::vector<uint8_t> p; put<uint8_t>(p, v ? 1 : 0); add(k, GgufValueType::BOOL, p); }
void GgufWriter::set_string(const std::string& k, const std::string& v) { std::vector<uint8_t> p; put_string(p, v); add(k, GgufValueType::STRING, p); }

void GgufWriter::set_string_array(const std::string& k, const std::vector<std::string>& v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::STRING));
  put<uint64_t>(p, v.size());
  for (const auto& s : v) put_string(p, s);
  add(k, GgufValueType::ARRAY, std::move(p));
}
void GgufWriter::set_f32_array(const std::string& k, const std::vector<float>& v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::FLOAT32));
  put<uint64_t>(p, v.size());
  for (float f : v) put(p, f);
  add(k, GgufValueType::ARRAY, std::move(p));
}
void GgufWriter::set_i32_array(const std::string& k, const std::vector<int32_t>& v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::INT32));
  put<uint64_t>(p, v.size());
  for (int32_t x : v) put(p, x);
  add(k, GgufValueType::ARRAY, std::move(p));
}
void GgufWriter::set_raw(const std::string& k, GgufValueType type, const std::vector<uint8_t>& payload) { add(k, type, payload); }

namespace {
uint64_t tensor_bytes(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type) {
  auto info = ggml_type_info(static_cast<uint32_t>(type));
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  if (!info || dims.empty() || dims[0] % info->block_elems != 0)
    throw std::invalid_argument("GgufWriter: tensor " + name + " has inconsistent dims or type");
  return n / info->block_elems * info->block_bytes;
}
}  // namespace

void GgufWriter::add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                            std::vector<uint8_t> data) {
  const uint64_t n_bytes = tensor_bytes(name, dims, type);
  if (n_bytes != data.size())
    throw std::invalid_argument("GgufWriter: tensor " + name + " has inconsistent dims, type or data size");
  tensors_.push_back({name, dims, type, std::move(data), nullptr, n_bytes});
}

void GgufWriter::add_tensor_lazy(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                                 std::function<void(uint8_t*)> fill) {
  const uint64_t n_bytes = tensor_bytes(name, dims, type);
  tensors_.push_back({name, dims, type, {}, std::move(fill), n_bytes});
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
  std::vector<uint8_t> out;
  put<uint32_t>(out, 0x46554747);
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, kvs_.size() + (alignment_ != 32 ? 1 : 0));
  if (alignment_ != 32) {
    put_string(out, "general.alignment");
    put<uint32_t>(out, static_cast<uint32_t>(GgufValueType::UINT32));
    put<uint32_t>(out, alignment_);
  }
  for (const auto& kv : kvs_) {
    put_string(out, kv.key);
    put<uint32_t>(out, static_cast<uint32_t>(kv.type));
    out.insert(out.end(), kv.payload.begin(), kv.payload.end());
  }
  auto align = [&](uint64_t x) { return (x + alignment_ - 1) / alignment_ * alignment_; };
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (auto d : t.dims) put<uint64_t>(out, d);
    put<uint32_t>(out, static_cast<uint32_t>(t.type));
    put<uint64_t>(out, offset);
    offset = align(offset + t.n_bytes);
  }
  out.resize(align(out.size()), 0);
  return out;
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
  std::vector<uint8_t> out = header_bytes();
  auto align = [&](uint64_t x) { return (x + alignment_ - 1) / alignment_ * alignment_; };
  for (const auto& t : tensors_) {
    if (t.fill) {
      const size_t at = out.size();
      out.resize(at + t.n_bytes);
      t.fill(out.data() + at);
    } else {
      out.insert(out.end(), t.data.begin(), t.data.end());
    }
    out.resize(align(out.size()), 0);
  }
  return out;
}

void GgufWriter::write(const std::string& path) const {
  std::string tmp = path + ".tmp";
  try {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(path + ": cannot create file");
    auto put_bytes = [&](const uint8_t* p, uint64_t n) {
      f.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
      if (!f) throw InputError(path + ": write failed");
    };
    const std::vector<uint8_t> header = header_bytes();
    put_bytes(header.data(), header.size());
    uint64_t pos = header.size();
    std::vector<uint8_t> buf;
    const std::vector<uint8_t> zeros(alignment_, 0);
    for (const auto& t : tensors_) {
      if (t.fill) {
        buf.resize(t.n_bytes);
        t.fill(buf.data());
        put_bytes(buf.data(), t.n_bytes);
      } else {
        put_bytes(t.data.data(), t.data.size());
      }
      pos += t.n_bytes;
      const uint64_t pad = (alignment_ - pos % alignment_) % alignment_;
      put_bytes(zeros.data(), pad);
      pos += pad;
    }
    f.close();
    if (!f) throw InputError(path + ": write failed");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot rename temporary file into place");
  }
}

}  // namespace quant
