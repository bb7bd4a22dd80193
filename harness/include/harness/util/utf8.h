#pragma once
// Text from outside (a child's stderr, file names, model metadata) may hold any bytes; JSON output must
// be valid UTF-8. Invalid bytes are kept visible as "\xHH" rather than dropped or allowed to abort a dump.
#include <string>

namespace quant::harness {

// `text` with every byte that is not part of a valid UTF-8 sequence written as the four characters \xHH.
std::string valid_utf8(const std::string& text);

}  // namespace quant::harness
