#include "quant/kv_types.h"

namespace quant {

namespace {
struct Named { KvType type; std::string_view name; };
constexpr Named kNames[] = {
    {KvType::fp32, "fp32"},           {KvType::fp16, "fp16"},           {KvType::q8_0, "q8_0"},
    {KvType::q4_0, "q4_0"},           {KvType::uniform_4b, "uniform_4b"}, {KvType::turbo_kv_3b, "turbo_kv_3b"},
    {KvType::turbo_kv_4b, "turbo_kv_4b"}, {KvType::turbo_kv_5b, "turbo_kv_5b"}, {KvType::turbo_kv_4bo, "turbo_kv_4bo"},
};
}  // namespace

std::string_view kv_type_name(KvType t) {
  for (const auto& n : kNames)
    if (n.type == t) return n.name;
  return "unknown";
}

std::optional<KvType> parse_kv_type(std::string_view name) {
  for (const auto& n : kNames)
    if (n.name == name) return n.type;
  return std::nullopt;
}

const std::vector<KvType>& all_kv_types() {
  static const std::vector<KvType> all = [] {
    std::vector<KvType> v;
    for (const auto& n : kNames) v.push_back(n.type);
    return v;
  }();
  return all;
}

std::string kv_type_list() {
  std::string s;
  for (const auto& n : kNames) s += (s.empty() ? "" : ", ") + std::string(n.name);
  return s;
}

}  // namespace quant
