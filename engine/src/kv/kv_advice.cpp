#include "quant/kv_advice.h"

namespace quant {

bool poor_at_small_head_dim(KvType t) {
  switch (t) {
    case KvType::q4_0:
    case KvType::uniform_4b:
    case KvType::turbo_kv_3b:
    case KvType::turbo_kv_4b:
    case KvType::turbo_kv_5b:
    case KvType::turbo_kv_4bo:
      return true;
    default:
      return false;
  }
}

std::vector<std::string> kv_type_warnings(KvType k, KvType v, int head_dim) {
  std::vector<std::string> out;
  if (head_dim <= 0 || head_dim >= kSmallHeadDim) return out;
  auto warn = [&](const char* flag, KvType t) {
    if (!poor_at_small_head_dim(t)) return;
    out.push_back(std::string(flag) + " " + std::string(kv_type_name(t)) + " at head_dim " + std::to_string(head_dim) +
                  ": its blocks are whole head vectors below head_dim " + std::to_string(kSmallHeadDim) +
                  ", where it loses far more than at real models' head dims (docs/kv-cache.md); " + flag +
                  " q8_0 keeps the quality");
  };
  warn("-k", k);
  warn("-v", v);
  return out;
}

}  // namespace quant
