#include "quant/read_probe.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace quant {

namespace {
// Pieces per pass: enough for the threads to finish together, large enough that starting a piece
// (a cold stream for the hardware prefetcher) costs nothing measurable.
constexpr size_t kPieces = 64;
constexpr size_t kPieceAlign = 4096;
}  // namespace

uint64_t sum_words(const void* data, size_t bytes) {
  // Eight independent sums: integer adds the compiler vectorises, so loads are the only limit.
  const auto* w = static_cast<const uint8_t*>(data);
  const size_t n = bytes / 8;
  uint64_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      uint64_t v;
      std::memcpy(&v, w + 8 * (i + k), 8);
      s[k] += v;
    }
  for (; i < n; ++i) {
    uint64_t v;
    std::memcpy(&v, w + 8 * i, 8);
    s[0] += v;
  }
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

ReadProbe::ReadProbe(ThreadPool& pool, size_t bytes)
    : pool_(pool), bytes_(bytes / (kPieces * kPieceAlign) * (kPieces * kPieceAlign)), buffer_(bytes_ ? bytes_ : 1) {
  if (bytes_ == 0) throw std::invalid_argument("read probe: buffer smaller than " + std::to_string(kPieces * kPieceAlign) + " bytes");
  // Touched page by page so every page is backed before the first pass.
  for (size_t o = 0; o < bytes_; o += 4096) std::memset(buffer_.data() + o, static_cast<int>(o >> 12), 4096);
}

double ReadProbe::pass_gb_s() {
  const size_t piece = bytes_ / kPieces;
  std::vector<uint64_t> sums(kPieces);
  const uint8_t* data = buffer_.data();
  const auto t0 = std::chrono::steady_clock::now();
  pool_.parallel_for(static_cast<int>(kPieces), [&](int p, int) {
    sums[static_cast<size_t>(p)] = sum_words(data + piece * static_cast<size_t>(p), piece);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (uint64_t s : sums) sink_ += s;
  return static_cast<double>(bytes_) / seconds / 1e9;
}

}  // namespace quant
