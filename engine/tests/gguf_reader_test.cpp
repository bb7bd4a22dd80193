// GGUF reader: round trips through the writer, and every kind of malformed file is rejected with an
// error that names the file (never a crash, never an allocation larger than the file).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "quant/error.h"
#include "quant/gguf.h"
#include "quant/gguf_writer.h"
#include "test_support.h"

namespace quant {
namespace {

// Builds GGUF bytes field by field, for files the writer would never produce.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T> Bytes& put(T v) {
    uint8_t x[sizeof(T)];
    std::memcpy(x, &v, sizeof(T));
    b.insert(b.end(), x, x + sizeof(T));
    return *this;
  }
  Bytes& str(const std::string& s) { put<uint64_t>(s.size()); b.insert(b.end(), s.begin(), s.end()); return *this; }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
  }
  Bytes& pad(size_t align) { b.resize((b.size() + align - 1) / align * align, 0); return *this; }
};

std::unique_ptr<GgufFile> parse(const std::vector<uint8_t>& b) { return GgufFile::parse(b.data(), b.size(), "t.gguf"); }

// Expects an InputError whose message names the file and contains `needle`.
void expect_error(const std::vector<uint8_t>& b, const std::string& needle) {
  try {
    parse(b);
    FAIL() << "accepted a malformed file; expected error containing '" << needle << "'";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("t.gguf: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "error must be one line: " << msg;
  }
}

GgufWriter sample_writer() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("a.u32", 7);
  w.set_i32("a.i32", -3);
  w.set_u64("a.u64", 1ull << 40);
  w.set_f32("a.f32", 1.5f);
  w.set_bool("a.bool", true);
  w.set_string_array("a.strings", {"x", "", "hello"});
  w.set_f32_array("a.floats", {0.5f, -2.0f});
  w.set_i32_array("a.ints", {1, 2, 3});
  std::vector<uint8_t> f32(4 * 8 * 2, 0);
  w.add_tensor("t0", {8, 2}, GgmlType::F32, f32);
  w.add_tensor("t1", {32}, GgmlType::Q8_0, std::vector<uint8_t>(34, 1));
  return w;
}

TEST(GgufReader, RoundTripsEveryValueTypeAndTensor) {
  std::vector<uint8_t> b = sample_writer().to_bytes();
  auto f = parse(b);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->get_string("general.architecture"), "llama");
  EXPECT_EQ(f->get_uint("a.u32"), 7u);
  EXPECT_EQ(f->find("a.i32")->i, -3);
  EXPECT_EQ(f->get_uint("a.u64"), 1ull << 40);
  EXPECT_FLOAT_EQ(static_cast<float>(f->get_float("a.f32")), 1.5f);
  EXPECT_TRUE(f->get_bool("a.bool"));
  const auto& s = f->get_array("a.strings", GgufValueType::STRING);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].str, "hello");
  EXPECT_EQ(f->get_array("a.ints", GgufValueType::INT32)[2].i, 3);
  ASSERT_EQ(f->tensors().size(), 2u);
  const GgufTensorInfo* t1 = f->find_tensor("t1");
  ASSERT_NE(t1, nullptr);
  EXPECT_EQ(t1->type, GgmlType::Q8_0);
  EXPECT_EQ(t1->n_bytes, 34u);
  EXPECT_EQ(t1->data[0], 1);
  EXPECT_EQ(static_cast<uint64_t>(t1->data - f->bytes()) % f->alignment(), 0u);
}

TEST(GgufReader, ReadsVersion2AndNestedArrays) {
  Bytes b;
  b.header(0, 1, 2).str("nested").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(2);
  for (int i = 0; i < 2; ++i) b.put<uint32_t>(0).put<uint64_t>(3).put<uint8_t>(1).put<uint8_t>(2).put<uint8_t>(3);
  auto f = parse(b.b);
  EXPECT_EQ(f->version(), 2u);
  const GgufValue* v = f->find("nested");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->arr.size(), 2u);
  EXPECT_EQ(v->arr[1].arr[2].u, 3u);
}

TEST(GgufReader, HonoursCustomAlignment) {
  GgufWriter w(64);
  w.add_tensor("a", {3}, GgmlType::F32, std::vector<uint8_t>(12, 0));
  w.add_tensor("b", {3}, GgmlType::F32, std::vector<uint8_t>(12, 0));
  std::vector<uint8_t> b = w.to_bytes();
  auto f = parse(b);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->find_tensor("b")->offset, 64u);
}

TEST(GgufReader, EveryTruncationIsAnError) {
  std::vector<uint8_t> full = sample_writer().to_bytes();
  // The last tensor's data ends before the padding: cutting inside it must fail too.
  size_t data_end = full.size();
  while (data_end > 0 && full[data_end - 1] == 0) --data_end;
  for (size_t n = 0; n < data_end; ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    EXPECT_THROW(parse(cut), InputError) << "prefix of " << n << " bytes";
  }
}

TEST(GgufReader, RejectsBadMagicAndVersions) {
  std::vector<uint8_t> b = sample_writer().to_bytes();
  b[0] = 'X';
  expect_error(b, "bad magic");
  for (uint32_t v : {1u, 4u, 0xffffffffu}) {
    Bytes h;
    h.header(0, 0, v);
    expect_error(h.b, "unsupported GGUF version");
  }
}

TEST(GgufReader, RejectsAbsurdCountsAndLengths) {
  expect_error(Bytes().header(0, 1ull << 60).b, "metadata count");
  expect_error(Bytes().header(1ull << 62, 0).b, "tensor count");
  // A key length of 4 GiB in a tiny file.
  expect_error(Bytes().header(0, 1).put<uint64_t>(1ull << 32).put<uint64_t>(0).put<uint64_t>(0).b, "exceeds");
  // A string value claiming 2^63 bytes.
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(8).put<uint64_t>(1ull << 63).b, "exceeds");
  // An array claiming 2^61 UINT32 elements (the byte count overflows 64 bits).
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(1ull << 62).b,
               "array length");
  // Gigabytes of strings declared in a few bytes: rejected before anything is allocated.
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 30).b,
               "array length");
}

TEST(GgufReader, RejectsUnknownValueTypesAndBadBools) {
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(13).put<uint32_t>(0).b, "unknown value type");
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(77).put<uint64_t>(0).b,
               "unknown array element type");
  expect_error(Bytes().header(0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2).b, "BOOL");
  expect_error(Bytes().header(0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(1).b,
               "duplicate metadata key");
}

TEST(GgufReader, RejectsDeeplyNestedArrays) {
  Bytes b;
  b.header(0, 1).str("deep").put<uint32_t>(9);
  for (int i = 0; i < 20; ++i) b.put<uint32_t>(9).put<uint64_t>(1);
  b.put<uint32_t>(0).put<uint64_t>(0);
  expect_error(b.b, "nested");
}

TEST(GgufReader, RejectsBadAlignment) {
  for (uint32_t a : {0u, 3u, 48u}) {
    Bytes b;
    b.header(0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(a);
    expect_error(b.b, "power of two");
  }
  // 2^30 is a power of two, but the data section would start far beyond this tiny file.
  Bytes b;
  b.header(1, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(1u << 30);
  b.str("t").put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(0).put<uint64_t>(0);
  expect_error(b.b, "past the end of the file");
  // The alignment must be stored as UINT32.
  Bytes c;
  c.header(0, 1).str("general.alignment").put<uint32_t>(10).put<uint64_t>(32);
  expect_error(c.b, "expected UINT32");
}

// One tensor-table entry followed by `data_bytes` of (aligned) data.
std::vector<uint8_t> one_tensor(std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t data_bytes) {
  Bytes b;
  b.header(1, 0).str("w").put<uint32_t>(static_cast<uint32_t>(dims.size()));
  for (auto d : dims) b.put<uint64_t>(d);
  b.put<uint32_t>(type).put<uint64_t>(offset);
  b.pad(32);
  b.b.resize(b.b.size() + data_bytes, 0);
  return b.b;
}

TEST(GgufReader, AcceptsAWellFormedTensor) { EXPECT_NO_THROW(parse(one_tensor({4, 4}, 0, 0, 64))); }

TEST(GgufReader, RejectsDimensionProductOverflow) {
  expect_error(one_tensor({1ull << 32, 1ull << 32, 16}, 0, 0, 64), "overflows");
  expect_error(one_tensor({1ull << 40, 1ull << 30}, 0, 0, 64), "overflows");
}

TEST(GgufReader, RejectsZeroAndTooManyDims) {
  expect_error(one_tensor({4, 0}, 0, 0, 64), "dimension 1 is 0");
  expect_error(one_tensor({1, 1, 1, 1, 1}, 0, 0, 64), "dimensions");
  expect_error(one_tensor({}, 0, 0, 64), "dimensions");
}

TEST(GgufReader, RejectsUnknownTypesAndPartialBlocks) {
  expect_error(one_tensor({32}, 99, 0, 64), "unknown tensor type id 99");
  expect_error(one_tensor({32}, 4, 0, 64), "unknown tensor type id 4");  // Q4_2: removed from the format
  expect_error(one_tensor({33}, 8, 0, 64), "not a multiple");            // Q8_0 needs rows of 32
}

TEST(GgufReader, RejectsMisalignedAndOutOfFileTensors) {
  expect_error(one_tensor({4}, 0, 4, 64), "alignment");
  expect_error(one_tensor({4, 4}, 0, 0, 32), "past the end");
  expect_error(one_tensor({4}, 0, 1ull << 62, 64), "past the end");
  expect_error(one_tensor({4}, 0, 0xffffffffffffffe0ull, 64), "past the end");
}

TEST(GgufReader, RejectsOverlappingAndDuplicateTensors) {
  Bytes b;
  b.header(2, 0);
  b.str("a").put<uint32_t>(1).put<uint64_t>(16).put<uint32_t>(0).put<uint64_t>(0);
  b.str("b").put<uint32_t>(1).put<uint64_t>(16).put<uint32_t>(0).put<uint64_t>(32);  // a spans 0..64
  b.pad(32);
  b.b.resize(b.b.size() + 128, 0);
  expect_error(b.b, "overlaps");
  Bytes d;
  d.header(2, 0);
  d.str("a").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(0).put<uint64_t>(0);
  d.str("a").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(0).put<uint64_t>(32);
  d.pad(32);
  d.b.resize(d.b.size() + 64, 0);
  expect_error(d.b, "duplicate tensor name");
}

TEST(GgufReader, TypedGettersNameTheKey) {
  std::vector<uint8_t> b = sample_writer().to_bytes();
  auto f = parse(b);
  try {
    f->get_array("a.ints", GgufValueType::FLOAT32);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.ints: expected array of FLOAT32, found array of INT32"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(f->get_string("a.u32"), InputError);
  EXPECT_THROW(f->get_uint("a.i32"), InputError);  // negative
  EXPECT_THROW(f->get_uint("missing.key"), InputError);
}

TEST(GgufReader, OpenReportsMissingAndEmptyFiles) {
  EXPECT_THROW(GgufFile::open("/nonexistent/model.gguf"), InputError);
  std::string p = test::temp_path("empty.gguf");
  { std::ofstream f(p); }
  EXPECT_THROW(GgufFile::open(p), InputError);
  std::string good = test::temp_path("good.gguf");
  sample_writer().write(good);
  auto f = GgufFile::open(good);
  EXPECT_EQ(f->tensors().size(), 2u);
}

TEST(HugePageBuffer, StartsOnAHugePageAndIsWritable) {
  HugePageBuffer b(3 * 1000 * 1000 + 7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (2u << 20), 0u);
  b.data()[0] = 1;
  b.data()[3 * 1000 * 1000 + 6] = 2;
  EXPECT_EQ(b.data()[0] + b.data()[3 * 1000 * 1000 + 6], 3);
}

// The copy mode holds the same bytes and tensors as the mapping, from a 2 MiB boundary (huge pages).
TEST(GgufReader, CopiedFileMatchesTheMappedOne) {
  std::string good = test::temp_path("copy.gguf");
  sample_writer().write(good);
  auto mapped = GgufFile::open(good, WeightMemory::mmap);
  auto copied = GgufFile::open(good, WeightMemory::copy);
  EXPECT_EQ(mapped->memory(), WeightMemory::mmap);
  EXPECT_EQ(copied->memory(), WeightMemory::copy);
  ASSERT_EQ(copied->file_size(), mapped->file_size());
  EXPECT_NE(copied->bytes(), mapped->bytes());
  EXPECT_EQ(0, std::memcmp(copied->bytes(), mapped->bytes(), mapped->file_size()));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(copied->bytes()) % (2u << 20), 0u);
  ASSERT_EQ(copied->tensors().size(), mapped->tensors().size());
  for (size_t i = 0; i < mapped->tensors().size(); ++i) {
    const auto& a = mapped->tensors()[i];
    const auto& b = copied->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(b.data - copied->bytes(), a.data - mapped->bytes());
  }
  // A bad file is refused the same way in both modes.
  std::string junk = test::temp_path("copy-junk.gguf");
  { std::ofstream f(junk); f << "not a model"; }
  EXPECT_THROW(GgufFile::open(junk, WeightMemory::copy), InputError);
}

}  // namespace
}  // namespace quant
