// The read-bandwidth probe: its sum sees every word (so no pass can be optimised away or skip bytes),
// and a pass over the pool reports a rate.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "quant/read_probe.h"

namespace quant {
namespace {

uint64_t plain_sum(const uint8_t* p, size_t bytes) {
  uint64_t s = 0;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    s += v;
  }
  return s;
}

TEST(ReadProbe, SumsEveryWordAtAnyLengthAndAlignment) {
  std::vector<uint8_t> buf(4096 + 16);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t offset : {0, 1, 3, 8})
    for (size_t bytes : {0, 8, 56, 64, 72, 1000, 4096}) {
      EXPECT_EQ(sum_words(buf.data() + offset, bytes), plain_sum(buf.data() + offset, bytes))
          << "offset " << offset << ", " << bytes << " bytes";
    }
  // One changed word anywhere changes the sum: no word is skipped.
  const uint64_t before = sum_words(buf.data(), 4096);
  for (size_t word : {0, 7, 8, 63, 511}) {
    buf[word * 8] ^= 1;
    EXPECT_NE(sum_words(buf.data(), 4096), before) << "word " << word;
    buf[word * 8] ^= 1;
  }
}

TEST(ReadProbe, APassOverThePoolReportsAFiniteRate) {
  ThreadPool pool(2);
  ReadProbe probe(pool, (size_t{16} << 20) + 123);
  EXPECT_EQ(probe.bytes(), size_t{16} << 20);  // whole pieces only
  for (int i = 0; i < 3; ++i) {
    const double gbs = probe.pass_gb_s();
    EXPECT_TRUE(std::isfinite(gbs));
    EXPECT_GT(gbs, 0.0);
  }
  EXPECT_THROW(ReadProbe(pool, 4096), std::invalid_argument);
}

}  // namespace
}  // namespace quant
