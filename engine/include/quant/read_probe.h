#pragma once
// Read-bandwidth probe: how fast this machine streams bytes from memory when that is all there is to
// do, the limit decode speed is reported against. quant-bandwidth reports it alone; `quant --bench
// --probe-bandwidth` runs a pass between short slices of decoding, so both figures are taken under the
// same conditions (on a shared VM the bandwidth moves by tens of percent within seconds).
#include <cstddef>
#include <cstdint>

#include "quant/huge_pages.h"
#include "quant/thread_pool.h"

namespace quant {

// Sums the 64-bit words of [data, data + bytes) (bytes: a multiple of 8): a loop bound by its loads.
uint64_t sum_words(const void* data, size_t bytes);

// A huge-page buffer (the kind of memory the weights live in) that the pool's threads read in passes.
class ReadProbe {
 public:
  // Allocates and touches `bytes` (rounded down to whole pieces of 4 KiB x 64); throws std::bad_alloc,
  // or std::invalid_argument below one such piece each.
  ReadProbe(ThreadPool& pool, size_t bytes);
  // Reads the whole buffer once, in pieces handed out like matmul rows; returns GB/s (1e9 bytes/s).
  double pass_gb_s();
  size_t bytes() const { return bytes_; }

 private:
  ThreadPool& pool_;
  size_t bytes_;
  HugePageBuffer buffer_;
  uint64_t sink_ = 0;  // keeps the sums alive
};

}  // namespace quant
