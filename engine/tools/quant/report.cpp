#include "report.h"

#include <sys/utsname.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "quant/host_load.h"
#include "quant/build_info.h"
#include "quant/cpu_features.h"
#include "quant/kv_codec.h"
#include "quant/kv_advice.h"
#include "quant/matmul.h"
#include "quant/sha256.h"

namespace quant::cli {

using nlohmann::json;

namespace {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string os_name() {
  struct utsname u {};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

json base_report(const Options& o, const char* mode) {
  const BuildInfo& b = build_info();
  json opts = json::object();
  for (const auto& [k, v] : b.cmake_options) opts[k] = v;
  const HostLoad load = read_host_load();
  return json{
      {"schema", "quant.run"},
      {"schema_version", kSchemaVersion},
      {"mode", mode},
      {"date", utc_now()},
      {"build",
       {{"version", b.version}, {"git_commit", b.git_commit}, {"git_dirty", b.git_dirty}, {"compiler", b.compiler},
        {"cxx_flags", b.cxx_flags}, {"build_type", b.build_type}, {"cmake_options", opts}, {"simd", b.simd}}},
      {"system",
       {{"cpu_model", cpu_model()}, {"n_cores", std::thread::hardware_concurrency()}, {"os", os_name()},
        {"cpu_kernels", std::string(matmul_kernels_name())},
        {"kv_kernels", std::string(kv_kernels_name())}, {"cpu_features", cpu_feature_summary()},
        {"load_average", load.load_average}, {"cpu_governor", load.governor ? json(*load.governor) : json()}}},
      {"config", {{"threads", o.threads}, {"batch", o.batch}, {"seed", o.seed}}},
  };
}

void add_model(json& j, const Options& o, const Model& m) {
  const ModelConfig& c = m.config();
  const GgufFile& f = m.file();
  std::string general_name = f.has("general.name") && f.find("general.name")->type == GgufValueType::STRING
                                 ? std::string(f.get_string("general.name")) : "";
  j["model"] = {
      {"path", std::filesystem::absolute(o.model).string()},
      {"size_bytes", f.file_size()},
      {"sha256", sha256_file(o.model)},
      {"name", general_name},
      {"synthetic", f.has("quant.synthetic") && f.find("quant.synthetic")->type == GgufValueType::BOOL &&
                        f.get_bool("quant.synthetic")},
      {"arch", c.arch},
      {"n_params", m.n_params()},
      {"n_vocab", c.n_vocab},
      {"n_embd", c.n_embd},
      {"n_layer", c.n_layer},
      {"n_head", c.n_head},
      {"n_head_kv", c.n_head_kv},
      {"head_dim", c.head_dim},
      {"n_ff", c.n_ff},
      {"n_ctx_train", c.n_ctx_train},
      {"weights_memory", std::string(weight_memory_name(f.memory()))},
      {"huge_pages_advised", f.huge_pages_advised()},
      {"regrouped_tensors", m.regrouped_tensors()},
  };
}

void add_backend(json& j, const std::string& requested, const Backend& b) {
  j["backend"] = {{"requested", requested}, {"used", b.name()}, {"device", b.device_name()}, {"driver", b.driver()},
                  {"offload", b.offload()}};
}

void add_kv(json& j, const Session& s) {
  const KvCache& kv = s.cache();
  const KvCacheConfig& c = kv.config();
  const double elems = static_cast<double>(c.n_layer) * c.n_head_kv * c.head_dim;  // per token, K or V
  const double kb = static_cast<double>(kv.k_bytes_per_token()), vb = static_cast<double>(kv.v_bytes_per_token());
  j["kv"] = {
      {"k_type", kv_type_name(c.k_type)},
      {"v_type", kv_type_name(c.v_type)},
      {"capacity_tokens", kv.capacity()},
      {"allocated_bytes", kv.allocated_bytes()},
      {"k_bytes_per_token", kv.k_bytes_per_token()},
      {"v_bytes_per_token", kv.v_bytes_per_token()},
      {"k_bits_per_element", kb * 8 / elems},
      {"v_bits_per_element", vb * 8 / elems},
      {"compression",
       {{"k_vs_fp16", elems * 2 / kb},
        {"k_vs_fp32", elems * 4 / kb},
        {"kv_vs_fp16", elems * 4 / (kb + vb)},
        {"kv_vs_fp32", elems * 8 / (kb + vb)}}},
  };
  j["config"]["k_type"] = kv_type_name(c.k_type);
  j["config"]["v_type"] = kv_type_name(c.v_type);
  j["config"]["n_ctx"] = s.n_ctx();
  j["warnings"] = kv_type_warnings(c.k_type, c.v_type, c.head_dim);  // also printed on stderr
}

}  // namespace quant::cli
