#pragma once
// llama.cpp's and llama-bench's spellings that CLI11 cannot read as written: two-letter short flags
// (-ctk would parse as -c tk) and flags for features that have no switch here.
#include <string>
#include <vector>

namespace quant::cli {

struct TranslatedArgs {
  std::vector<std::string> args;  // argv with -ctk/-ctv spelled as --cache-type-k/--cache-type-v
  std::string error;              // non-empty: the one-line answer for -ngl or -fa
};

TranslatedArgs translate_llama_flags(int argc, char** argv);

// llama.cpp's KV type names that differ from quant's: f16 -> fp16, f32 -> fp32; others unchanged.
std::string kv_alias(const std::string& name);

}  // namespace quant::cli
