#pragma once
// KV cache element types: names are part of the user interface (-k / -v flags, JSON output).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quant {

enum class KvType { fp32, fp16, q8_0, q4_0, uniform_4b, turbo_kv_3b, turbo_kv_4b, turbo_kv_5b, turbo_kv_4bo };

std::string_view kv_type_name(KvType t);
std::optional<KvType> parse_kv_type(std::string_view name);
const std::vector<KvType>& all_kv_types();
std::string kv_type_list();  // "fp32, fp16, ..." for error messages

}  // namespace quant
