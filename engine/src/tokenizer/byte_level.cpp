#include "byte_level.h"

#include <array>
#include <unordered_map>

namespace quant {

namespace {

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

bool stands_for_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Tables {
  std::array<std::string, 256> symbol;
  std::unordered_map<uint32_t, uint8_t> byte_of;  // code point -> byte
  Tables() {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = stands_for_itself(b) ? static_cast<uint32_t>(b) : next++;
      symbol[b] = utf8(cp);
      byte_of[cp] = static_cast<uint8_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_symbol(uint8_t b) { return tables().symbol[b]; }

std::string symbols_to_bytes(std::string_view text) {
  const Tables& t = tables();
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    // The mapping only uses code points below U+0800: one- and two-byte UTF-8 sequences.
    if (c >= 0xC0 && c < 0xE0 && i + 1 < text.size()) {
      const uint32_t cp = (c & 0x1Fu) << 6 | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      auto it = t.byte_of.find(cp);
      if (it != t.byte_of.end()) { out += static_cast<char>(it->second); i += 2; continue; }
    } else if (c < 0x80) {
      auto it = t.byte_of.find(c);
      if (it != t.byte_of.end()) { out += static_cast<char>(it->second); ++i; continue; }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace quant
