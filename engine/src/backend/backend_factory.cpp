#include "quant/backend_factory.h"

#include "quant/error.h"

namespace quant {

#ifdef QUANT_HAVE_VULKAN
std::unique_ptr<Backend> make_vulkan_backend(ThreadPool& pool);  // backend/vulkan
#endif

std::string default_backend_name() {
#ifdef QUANT_HAVE_VULKAN
  return "vulkan";
#else
  return "cpu";
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool) {
  if (name == "cpu") return make_cpu_backend(pool);
  if (name == "vulkan") {
#ifdef QUANT_HAVE_VULKAN
    return make_vulkan_backend(pool);
#else
    throw InputError("--backend vulkan: this build has no Vulkan backend (configure with -DENGINE_VULKAN=ON)");
#endif
  }
  throw InputError("--backend: unknown backend '" + name + "' (valid: cpu, vulkan)");
}

}  // namespace quant
