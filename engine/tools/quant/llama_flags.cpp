#include "llama_flags.h"

#include "quant/backend_factory.h"

namespace quant::cli {

namespace {

// The flag part of "-ctk=q8_0" or "-ctk".
std::string flag_of(const std::string& arg) { return arg.substr(0, arg.find('=')); }

std::string answer_for(const std::string& flag) {
  if (flag == "-ngl" || flag == "--n-gpu-layers" || flag == "--gpu-layers")
    return flag + ": quant offloads all layers or none, not a count: use --backend vulkan for the GPU, --backend cpu "
                  "for none (this build's default: " + default_backend_name() + ")";
  if (flag == "-fa" || flag == "--flash-attn")
    return flag + ": there is no switch: attention always runs fused over the compressed KV cache (drop the flag)";
  return "";
}

}  // namespace

TranslatedArgs translate_llama_flags(int argc, char** argv) {
  TranslatedArgs t;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    const std::string flag = flag_of(a);
    if (i > 0 && (flag == "-ctk" || flag == "-ctv"))
      a = (flag == "-ctk" ? "--cache-type-k" : "--cache-type-v") + a.substr(flag.size());
    else if (i > 0 && t.error.empty())
      t.error = answer_for(flag);
    t.args.push_back(a);
  }
  return t;
}

std::string kv_alias(const std::string& name) {
  if (name == "f16") return "fp16";
  if (name == "f32") return "fp32";
  return name;
}

}  // namespace quant::cli
