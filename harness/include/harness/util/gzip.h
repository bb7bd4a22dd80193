#pragma once
// gzip in memory (zlib): release records are stored compressed (reports/releases/X.results.json.gz), so a
// release sweep's few megabytes of JSON become a few hundred kilobytes in git.
#include <cstddef>
#include <string>

namespace quant::harness {

std::string gzip_bytes(const std::string& data);
// Decompresses `bytes` read from `path`; InputError naming `path` when they are not gzip data or would
// decompress to more than `max_bytes`.
std::string gunzip_bytes(const std::string& bytes, const std::string& path, size_t max_bytes);

}  // namespace quant::harness
