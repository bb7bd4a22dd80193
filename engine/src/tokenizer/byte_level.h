#pragma once
// GPT-2's reversible byte <-> character mapping: byte-level BPE vocabularies spell every byte as a
// printable Unicode character so that no token text holds spaces or control characters.
// Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other
// 68 bytes map, in byte order, to U+0100, U+0101, ...
#include <cstdint>
#include <string>
#include <string_view>

namespace quant {

// The UTF-8 spelling of byte b's character.
const std::string& byte_to_symbol(uint8_t b);
// Decodes a byte-level token text back to bytes. Characters outside the mapping are copied unchanged.
std::string symbols_to_bytes(std::string_view text);

}  // namespace quant
