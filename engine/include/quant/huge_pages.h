#pragma once
// Private memory starting on a 2 MiB boundary and advised to use transparent huge pages: where the
// weights live by default (WeightMemory::copy) and what quant-bandwidth measures, so both see the same
// kind of pages.
#include <cstddef>
#include <cstdint>

namespace quant {

class HugePageBuffer {
 public:
  // At least `bytes` writable bytes; throws std::bad_alloc when the memory cannot be mapped.
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  // The kernel accepted the advice (whether it grants huge pages is up to it).
  bool advised() const { return advised_; }

 private:
  void* mapping_ = nullptr;
  size_t mapping_len_ = 0;
  uint8_t* data_ = nullptr;
  bool advised_ = false;
};

}  // namespace quant
