#include "quant/huge_pages.h"

#include <sys/mman.h>

#include <new>

namespace quant {

HugePageBuffer::HugePageBuffer(size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;  // x86-64 huge page
  // One spare huge page so the data can start on a 2 MiB boundary.
  mapping_len_ = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;
  mapping_ = mmap(nullptr, mapping_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw std::bad_alloc();
  }
  const auto start = reinterpret_cast<uintptr_t>(mapping_);
  data_ = reinterpret_cast<uint8_t*>((start + kHuge - 1) & ~uintptr_t(kHuge - 1));
  advised_ = madvise(data_, mapping_len_ - (reinterpret_cast<uintptr_t>(data_) - start), MADV_HUGEPAGE) == 0;
}

HugePageBuffer::~HugePageBuffer() {
  if (mapping_) munmap(mapping_, mapping_len_);
}

}  // namespace quant
