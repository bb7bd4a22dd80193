#include "vk_api.h"

#include <dlfcn.h>

#include <stdexcept>

#include "quant/error.h"

namespace quant::vk {

void load_global(Api& api) {
  static void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    throw InputError("--backend vulkan: cannot load the Vulkan loader libvulkan.so.1 (install libvulkan1 and a "
                     "driver, e.g. mesa-vulkan-drivers)");
  api.vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
  if (!api.vkGetInstanceProcAddr) throw InputError("--backend vulkan: libvulkan.so.1 has no vkGetInstanceProcAddr");
#define QUANT_VK_LOAD(name) \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetInstanceProcAddr(nullptr, #name));
  QUANT_VK_GLOBAL(QUANT_VK_LOAD)
#undef QUANT_VK_LOAD
  if (!api.vkCreateInstance) throw InputError("--backend vulkan: the Vulkan loader has no vkCreateInstance");
  if (!api.vkEnumerateInstanceVersion)
    throw InputError("--backend vulkan: the Vulkan loader is older than Vulkan 1.1 (needed for subgroup operations)");
}

void load_instance(Api& api, VkInstance instance) {
#define QUANT_VK_LOAD(name)                                                                       \
  api.name = reinterpret_cast<PFN_##name>(api.vkGetInstanceProcAddr(instance, #name));            \
  if (!api.name) throw std::runtime_error("vulkan: the loader does not provide " #name);
  QUANT_VK_INSTANCE(QUANT_VK_LOAD)
#undef QUANT_VK_LOAD
}

const char* result_name(VkResult r) {
  switch (r) {
#define QUANT_VK_CASE(x) case x: return #x;
    QUANT_VK_CASE(VK_SUCCESS)
    QUANT_VK_CASE(VK_NOT_READY)
    QUANT_VK_CASE(VK_TIMEOUT)
    QUANT_VK_CASE(VK_INCOMPLETE)
    QUANT_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    QUANT_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    QUANT_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    QUANT_VK_CASE(VK_ERROR_DEVICE_LOST)
    QUANT_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    QUANT_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    QUANT_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    QUANT_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    QUANT_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    QUANT_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    QUANT_VK_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    QUANT_VK_CASE(VK_ERROR_FRAGMENTED_POOL)
    QUANT_VK_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
#undef QUANT_VK_CASE
    default: return "VK_ERROR_(unknown)";
  }
}

void check(VkResult r, const char* what) {
  if (r != VK_SUCCESS) throw std::runtime_error(std::string("vulkan: ") + what + " failed: " + result_name(r));
}

}  // namespace quant::vk
