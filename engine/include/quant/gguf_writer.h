#pragma once
// Small GGUF v3 writer, used by tests and by the synthetic-model generator.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "quant/gguf.h"

namespace quant {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_f32_array(const std::string& key, const std::vector<float>& v);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
  // Raw entry: `payload` is the already-encoded value of type `type` (for tests of odd encodings).
  void set_raw(const std::string& key, GgufValueType type, const std::vector<uint8_t>& payload);

  // dims[0] is the row length. `data` must hold exactly the tensor's byte size.
  void add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                  std::vector<uint8_t> data);

  // A tensor whose bytes are produced only when the file is written: fill(dst) writes exactly the
  // tensor's byte size. Lets multi-gigabyte models be written without holding them in memory.
  void add_tensor_lazy(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                       std::function<void(uint8_t* dst)> fill);

  // Serialises to memory (header, metadata, tensor table, aligned data).
  std::vector<uint8_t> to_bytes() const;
  // Writes to a temporary file, then renames it over `path`: a failure never leaves a partial file.
  // Tensor data is streamed one tensor at a time.
  void write(const std::string& path) const;

 private:
  struct Kv { std::string key; GgufValueType type; std::vector<uint8_t> payload; };
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    GgmlType type;
    std::vector<uint8_t> data;
    std::function<void(uint8_t*)> fill;  // lazy tensors: data is empty
    uint64_t n_bytes = 0;
  };
  std::vector<uint8_t> header_bytes() const;  // everything before the tensor data
  void add(const std::string& key, GgufValueType type, std::vector<uint8_t> payload);
  uint32_t alignment_;
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace quant
