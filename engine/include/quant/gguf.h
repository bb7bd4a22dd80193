#pragma once
// GGUF (v2, v3) reader: validates the whole header, metadata and tensor table against the file size
// before anything is used; tensor data stays in a read-only memory mapping.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quant/ggml_types.h"
#include "quant/huge_pages.h"

namespace quant {

enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view gguf_value_type_name(GgufValueType t);

// One metadata value. Strings point into the file mapping; arrays hold their elements.
struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  uint64_t u = 0;         // unsigned integers and BOOL
  int64_t i = 0;          // signed integers
  double f = 0;           // FLOAT32 / FLOAT64
  std::string_view str;   // STRING
  GgufValueType elem_type = GgufValueType::UINT8;  // ARRAY
  std::vector<GgufValue> arr;                      // ARRAY
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ne[0] is the contiguous (row) dimension
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;         // relative to the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;
};

// Where an opened file's bytes live. mmap: the file mapped read-only (no copy, pages shared with the page
// cache). copy: read into private memory advised to use transparent huge pages, which streams faster in
// decode (fewer TLB misses, hardware prefetch runs on across 4 KiB boundaries) at the cost of the copy.
enum class WeightMemory { mmap, copy };
std::string_view weight_memory_name(WeightMemory m);

class GgufFile {
 public:
  // Opens and validates a file. Throws InputError naming the file and the offset/key at fault.
  static std::unique_ptr<GgufFile> open(const std::string& path, WeightMemory memory = WeightMemory::mmap);
  // Validates an in-memory image (tests, fuzzing). `data` must outlive the object.
  static std::unique_ptr<GgufFile> parse(const uint8_t* data, size_t size, const std::string& name);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint32_t alignment() const { return alignment_; }
  const uint8_t* bytes() const { return base_; }
  // The private copy's bytes (WeightMemory::copy), which the owner may rewrite; null for a mapping.
  uint8_t* writable_bytes() { return copy_ ? copy_->data() : nullptr; }
  WeightMemory memory() const { return memory_; }
  bool huge_pages_advised() const { return copy_ && copy_->advised(); }  // copy: the kernel accepted the advice

  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters: the key must exist with a compatible type, else InputError naming file and key.
  uint64_t get_uint(std::string_view key) const;  // any unsigned/signed integer type, >= 0
  double get_float(std::string_view key) const;   // FLOAT32/FLOAT64 (integers accepted)
  bool get_bool(std::string_view key) const;
  std::string_view get_string(std::string_view key) const;
  // Array whose elements must be exactly `elem` (no silent reinterpretation).
  const std::vector<GgufValue>& get_array(std::string_view key, GgufValueType elem) const;
  uint64_t get_uint_or(std::string_view key, uint64_t def) const { return has(key) ? get_uint(key) : def; }
  double get_float_or(std::string_view key, double def) const { return has(key) ? get_float(key) : def; }
  bool get_bool_or(std::string_view key, bool def) const { return has(key) ? get_bool(key) : def; }

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  void parse_all();

  std::string path_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  void* mapping_ = nullptr;  // non-null when we own a mapping of the file
  std::unique_ptr<HugePageBuffer> copy_;  // WeightMemory::copy: the bytes
  WeightMemory memory_ = WeightMemory::mmap;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  std::map<std::string, GgufValue, std::less<>> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace quant
