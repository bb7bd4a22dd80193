// GGUF reader. Every length, count and offset read from the file is checked against the bytes that
// remain before it is used, with overflow-safe arithmetic, so no allocation can exceed what the file
// holds and no pointer can leave the mapping.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "quant/error.h"
#include "quant/gguf.h"

namespace quant {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little endian
constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }

// Minimum encoded size of one element of a type: used to bound array lengths by the bytes left.
uint64_t min_encoded_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16: case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32: case GgufValueType::INT32: case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64: case GgufValueType::INT64: case GgufValueType::FLOAT64: return 8;
    case GgufValueType::STRING: return 8;
    case GgufValueType::ARRAY: return 12;
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= 12; }

class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t size, const std::string& file) : base_(base), size_(size), file_(file) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void fail(const std::string& what, uint64_t at) const {
    throw InputError(file_ + ": offset " + std::to_string(at) + ": " + what);
  }
  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated file while reading ") + what + " (need " + std::to_string(n) +
               " bytes, " + std::to_string(remaining()) + " left)",
           pos_);
  }
  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view read_string(const char* what) {
    uint64_t at = pos_;
    uint64_t len = read<uint64_t>(what);
    if (len > remaining())
      fail(std::string(what) + " length " + std::to_string(len) + " exceeds the " +
               std::to_string(remaining()) + " bytes left in the file",
           at);
    std::string_view s(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return s;
  }
  void seek(uint64_t p) { pos_ = p; }

 private:
  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& file_;
};

void read_value(Cursor& c, GgufValueType type, GgufValue& v, const std::string& key, int depth) {
  v.type = type;
  switch (type) {
    case GgufValueType::UINT8: v.u = c.read<uint8_t>(key.c_str()); break;
    case GgufValueType::INT8: v.i = c.read<int8_t>(key.c_str()); break;
    case GgufValueType::UINT16: v.u = c.read<uint16_t>(key.c_str()); break;
    case GgufValueType::INT16: v.i = c.read<int16_t>(key.c_str()); break;
    case GgufValueType::UINT32: v.u = c.read<uint32_t>(key.c_str()); break;
    case GgufValueType::INT32: v.i = c.read<int32_t>(key.c_str()); break;
    case GgufValueType::UINT64: v.u = c.read<uint64_t>(key.c_str()); break;
    case GgufValueType::INT64: v.i = c.read<int64_t>(key.c_str()); break;
    case GgufValueType::FLOAT32: v.f = c.read<float>(key.c_str()); break;
    case GgufValueType::FLOAT64: v.f = c.read<double>(key.c_str()); break;
    case GgufValueType::BOOL: {
      uint64_t at = c.pos();
      uint8_t b = c.read<uint8_t>(key.c_str());
      if (b > 1) c.fail("key " + key + ": BOOL value " + std::to_string(b) + " is neither 0 nor 1", at);
      v.u = b;
      break;
    }
    case GgufValueType::STRING: v.str = c.read_string(key.c_str()); break;
    case GgufValueType::ARRAY: {
      uint64_t at = c.pos();
      if (depth >= kMaxArrayDepth) c.fail("key " + key + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth), at);
      uint32_t et = c.read<uint32_t>(key.c_str());
      if (!valid_value_type(et)) c.fail("key " + key + ": unknown array element type " + std::to_string(et), at);
      uint64_t n = c.read<uint64_t>(key.c_str());
      uint64_t min_bytes;
      if (mul_overflows(n, min_encoded_size(static_cast<GgufValueType>(et)), &min_bytes) || min_bytes > c.remaining())
        c.fail("key " + key + ": array length " + std::to_string(n) + " cannot fit in the " +
                   std::to_string(c.remaining()) + " bytes left in the file",
               at);
      v.elem_type = static_cast<GgufValueType>(et);
      v.arr.resize(n);
      for (uint64_t k = 0; k < n; ++k) read_value(c, v.elem_type, v.arr[k], key, depth + 1);
      break;
    }
  }
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType t) {
  static constexpr std::string_view names[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                               "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
  auto i = static_cast<uint32_t>(t);
  return i < 13 ? names[i] : std::string_view("UNKNOWN");
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path, WeightMemory memory) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": not a regular file");
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ == 0) {
    ::close(fd);
    throw InputError(path + ": offset 0: empty file, not GGUF");
  }
  void* m = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw InputError(path + ": cannot mmap: " + std::strerror(errno));
  f->mapping_ = m;
  f->base_ = static_cast<const uint8_t*>(m);
  if (memory == WeightMemory::copy) {
    try {
      f->copy_ = std::make_unique<HugePageBuffer>(f->size_);
    } catch (const std::bad_alloc&) {
      throw InputError(path + ": cannot allocate " + std::to_string(f->size_) + " bytes for the weights (try --mmap)");
    }
    std::memcpy(f->copy_->data(), m, f->size_);
    munmap(m, f->size_);
    f->mapping_ = nullptr;
    f->base_ = f->copy_->data();
    f->memory_ = WeightMemory::copy;
  }
  f->parse_all();
  return f;
}

std::string_view weight_memory_name(WeightMemory m) { return m == WeightMemory::copy ? "copy" : "mmap"; }

std::unique_ptr<GgufFile> GgufFile::parse(const uint8_t* data, size_t size, const std::string& name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = name;
  f->base_ = data;
  f->size_ = size;
  f->parse_all();
  return f;
}

GgufFile::~GgufFile() {
  if (mapping_) munmap(mapping_, size_);
}

namespace {

using Metadata = std::map<std::string, GgufValue, std::less<>>;
using TensorIndex = std::map<std::string, size_t, std::less<>>;

// The header after the magic: version, tensor count and metadata count, each count checked against the
// bytes left (each KV needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor 8 + 4 + 4 + 8).
struct GgufHeader {
  uint32_t version;
  uint64_t n_tensors, n_kv;
};
GgufHeader read_header(Cursor& c) {
  GgufHeader h;
  h.version = c.read<uint32_t>("version");
  if (h.version != 2 && h.version != 3)
    c.fail("unsupported GGUF version " + std::to_string(h.version) + " (supported: 2, 3)", 4);
  h.n_tensors = c.read<uint64_t>("tensor count");
  h.n_kv = c.read<uint64_t>("metadata count");
  uint64_t min_bytes;
  if (mul_overflows(h.n_kv, 13, &min_bytes) || min_bytes > c.remaining())
    c.fail("metadata count " + std::to_string(h.n_kv) + " cannot fit in the file", 16);
  if (mul_overflows(h.n_tensors, 24, &min_bytes) || min_bytes > c.remaining())
    c.fail("tensor count " + std::to_string(h.n_tensors) + " cannot fit in the file", 8);
  return h;
}

// The n_kv key/value pairs: non-empty unique keys, known value types.
void read_metadata(Cursor& c, uint64_t n_kv, Metadata& kv) {
  for (uint64_t k = 0; k < n_kv; ++k) {
    uint64_t at = c.pos();
    std::string key(c.read_string("metadata key"));
    if (key.empty()) c.fail("empty metadata key", at);
    if (kv.count(key)) c.fail("duplicate metadata key " + key, at);
    uint64_t tat = c.pos();
    uint32_t t = c.read<uint32_t>("metadata value type");
    if (!valid_value_type(t)) c.fail("key " + key + ": unknown value type " + std::to_string(t), tat);
    GgufValue v;
    read_value(c, static_cast<GgufValueType>(t), v, key, 0);
    kv.emplace(std::move(key), std::move(v));
  }
}

// general.alignment when the file sets it (a power of two), else `fallback`.
uint32_t alignment_of(const Metadata& kv, const std::string& path, uint32_t fallback) {
  auto it = kv.find("general.alignment");
  if (it == kv.end()) return fallback;
  const GgufValue& a = it->second;
  if (a.type != GgufValueType::UINT32)
    throw InputError(path + ": key general.alignment: expected UINT32, found " +
                     std::string(gguf_value_type_name(a.type)));
  if (a.u == 0 || (a.u & (a.u - 1)) != 0)
    throw InputError(path + ": key general.alignment: " + std::to_string(a.u) + " is not a power of two");
  return static_cast<uint32_t>(a.u);
}

// Entry k of the tensor table: a name new to `index`, 1..kMaxDims non-zero dimensions whose product does
// not overflow, a known type whose blocks divide the rows, an offset on the alignment.
void read_tensor_info(Cursor& c, uint64_t k, const TensorIndex& index, uint32_t alignment, GgufTensorInfo& ti) {
  uint64_t at = c.pos();
  ti.name = std::string(c.read_string("tensor name"));
  if (ti.name.empty()) c.fail("tensor " + std::to_string(k) + " has an empty name", at);
  if (index.count(ti.name)) c.fail("duplicate tensor name " + ti.name, at);
  uint32_t nd = c.read<uint32_t>("tensor dimension count");
  if (nd == 0 || nd > kMaxDims)
    c.fail("tensor " + ti.name + ": " + std::to_string(nd) + " dimensions (allowed 1.." + std::to_string(kMaxDims) + ")", at);
  ti.dims.resize(nd);
  uint64_t n = 1;
  for (uint32_t d = 0; d < nd; ++d) {
    ti.dims[d] = c.read<uint64_t>("tensor dimension");
    if (ti.dims[d] == 0) c.fail("tensor " + ti.name + ": dimension " + std::to_string(d) + " is 0", at);
    if (mul_overflows(n, ti.dims[d], &n) || n > (uint64_t(1) << 62))
      c.fail("tensor " + ti.name + ": element count overflows", at);
  }
  ti.n_elements = n;
  uint32_t type_id = c.read<uint32_t>("tensor type");
  auto info = ggml_type_info(type_id);
  if (!info) c.fail("tensor " + ti.name + ": unknown tensor type id " + std::to_string(type_id), at);
  ti.type = info->type;
  if (ti.dims[0] % info->block_elems != 0)
    c.fail("tensor " + ti.name + ": row length " + std::to_string(ti.dims[0]) + " is not a multiple of the " +
               std::string(info->name) + " block size " + std::to_string(info->block_elems),
           at);
  ti.n_bytes = n / info->block_elems * info->block_bytes;  // n < 2^62 so this cannot overflow
  ti.offset = c.read<uint64_t>("tensor offset");
  if (ti.offset % alignment != 0)
    c.fail("tensor " + ti.name + ": offset " + std::to_string(ti.offset) + " is not a multiple of the alignment " +
               std::to_string(alignment),
           at);
}

// Points every tensor at its bytes in the data section, which starts at the next multiple of the
// alignment after the tensor table (the cursor): each tensor inside the file, none overlapping another.
void place_tensor_data(Cursor& c, const uint8_t* base, uint64_t size, uint32_t alignment, const std::string& path,
                       std::vector<GgufTensorInfo>& tensors) {
  uint64_t data_start = c.pos();
  uint64_t rem = data_start % alignment;
  if (rem != 0 && add_overflows(data_start, alignment - rem, &data_start)) c.fail("data section offset overflows", c.pos());
  if (!tensors.empty() && data_start > size)
    c.fail("data section would start at " + std::to_string(data_start) + ", past the end of the file (" +
               std::to_string(size) + " bytes)",
           c.pos());
  uint64_t data_size = data_start <= size ? size - data_start : 0;

  std::vector<size_t> order(tensors.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
  uint64_t prev_end = 0;
  const GgufTensorInfo* prev = nullptr;
  for (size_t k : order) {
    GgufTensorInfo& ti = tensors[k];
    uint64_t end;
    if (add_overflows(ti.offset, ti.n_bytes, &end) || end > data_size)
      throw InputError(path + ": offset " + std::to_string(data_start + ti.offset) + ": tensor " + ti.name + " data (" +
                       std::to_string(ti.n_bytes) + " bytes) extends past the end of the file");
    if (prev && ti.offset < prev_end)
      throw InputError(path + ": offset " + std::to_string(data_start + ti.offset) + ": tensor " + ti.name +
                       " overlaps tensor " + prev->name);
    ti.data = base + data_start + ti.offset;
    prev_end = end;
    prev = &ti;
  }
}

}  // namespace

void GgufFile::parse_all() {
  Cursor c(base_, size_, path_);
  uint32_t magic = c.read<uint32_t>("magic");
  if (magic != kMagic) c.fail("bad magic (not a GGUF file)", 0);
  const GgufHeader h = read_header(c);
  version_ = h.version;
  read_metadata(c, h.n_kv, kv_);
  alignment_ = alignment_of(kv_, path_, alignment_);
  tensors_.resize(h.n_tensors);
  for (uint64_t k = 0; k < h.n_tensors; ++k) {
    read_tensor_info(c, k, tensor_index_, alignment_, tensors_[k]);
    tensor_index_.emplace(tensors_[k].name, k);
  }
  place_tensor_data(c, base_, size_, alignment_, path_, tensors_);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
const GgufValue& require(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  if (!v) throw InputError(f.path() + ": missing required key " + std::string(key));
  return *v;
}
[[noreturn]] void type_error(const GgufFile& f, std::string_view key, const char* expected, GgufValueType got) {
  throw InputError(f.path() + ": key " + std::string(key) + ": expected " + expected + ", found " +
                   std::string(gguf_value_type_name(got)));
}
}  // namespace

uint64_t GgufFile::get_uint(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  switch (v.type) {
    case GgufValueType::UINT8: case GgufValueType::UINT16: case GgufValueType::UINT32: case GgufValueType::UINT64:
      return v.u;
    case GgufValueType::INT8: case GgufValueType::INT16: case GgufValueType::INT32: case GgufValueType::INT64:
      if (v.i < 0) throw InputError(path_ + ": key " + std::string(key) + ": negative value " + std::to_string(v.i));
      return static_cast<uint64_t>(v.i);
    default: type_error(*this, key, "an integer", v.type);
  }
}

double GgufFile::get_float(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  switch (v.type) {
    case GgufValueType::FLOAT32: case GgufValueType::FLOAT64: return v.f;
    case GgufValueType::UINT8: case GgufValueType::UINT16: case GgufValueType::UINT32: case GgufValueType::UINT64:
      return static_cast<double>(v.u);
    case GgufValueType::INT8: case GgufValueType::INT16: case GgufValueType::INT32: case GgufValueType::INT64:
      return static_cast<double>(v.i);
    default: type_error(*this, key, "a number", v.type);
  }
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufValueType::BOOL) type_error(*this, key, "BOOL", v.type);
  return v.u != 0;
}

std::string_view GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufValueType::STRING) type_error(*this, key, "STRING", v.type);
  return v.str;
}

const std::vector<GgufValue>& GgufFile::get_array(std::string_view key, GgufValueType elem) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufValueType::ARRAY) type_error(*this, key, "ARRAY", v.type);
  if (v.elem_type != elem)
    throw InputError(path_ + ": key " + std::string(key) + ": expected array of " +
                     std::string(gguf_value_type_name(elem)) + ", found array of " +
                     std::string(gguf_value_type_name(v.elem_type)));
  return v.arr;
}

}  // namespace quant
