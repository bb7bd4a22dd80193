#pragma once
#include <string>
#include <string_view>

namespace quant {
// Lower-case hex SHA-256 of a file's bytes (OpenSSL); throws InputError if unreadable.
std::string sha256_file(const std::string& path);
std::string sha256_hex(std::string_view bytes);
}  // namespace quant
