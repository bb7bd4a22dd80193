#pragma once
// The Vulkan entry points the backend uses, loaded at run time from the system loader (libvulkan.so.1)
// so that a machine without a loader or driver gets a one-line error instead of a failed exec.
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <string>

namespace quant::vk {

#define QUANT_VK_GLOBAL(X) X(vkCreateInstance) X(vkEnumerateInstanceVersion)

#define QUANT_VK_INSTANCE(X)                                                                         \
  X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties)                \
  X(vkGetPhysicalDeviceProperties2) X(vkGetPhysicalDeviceQueueFamilyProperties)                      \
  X(vkGetPhysicalDeviceMemoryProperties) X(vkCreateDevice) X(vkDestroyDevice) X(vkGetDeviceQueue)     \
  X(vkCreateBuffer) X(vkDestroyBuffer) X(vkCreateBufferView) X(vkDestroyBufferView) X(vkGetBufferMemoryRequirements) X(vkAllocateMemory)           \
  X(vkFreeMemory) X(vkBindBufferMemory) X(vkMapMemory) X(vkCreateShaderModule)                        \
  X(vkDestroyShaderModule) X(vkCreateDescriptorSetLayout) X(vkDestroyDescriptorSetLayout)              \
  X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) X(vkCreateComputePipelines) X(vkDestroyPipeline) \
  X(vkCreateDescriptorPool) X(vkDestroyDescriptorPool) X(vkResetDescriptorPool)                        \
  X(vkAllocateDescriptorSets) X(vkUpdateDescriptorSets) X(vkCreateCommandPool) X(vkDestroyCommandPool)  \
  X(vkAllocateCommandBuffers) X(vkBeginCommandBuffer) X(vkEndCommandBuffer) X(vkResetCommandBuffer)     \
  X(vkCmdBindPipeline) X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch)              \
  X(vkCmdPipelineBarrier) X(vkQueueSubmit) X(vkCreateFence) X(vkDestroyFence) X(vkWaitForFences)       \
  X(vkResetFences) X(vkDeviceWaitIdle)

// Function pointers for one instance (device-level calls go through the loader's trampolines).
struct Api {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
#define QUANT_VK_DECLARE(name) PFN_##name name = nullptr;
  QUANT_VK_GLOBAL(QUANT_VK_DECLARE)
  QUANT_VK_INSTANCE(QUANT_VK_DECLARE)
#undef QUANT_VK_DECLARE
};

// Opens the loader and fills the global entry points; throws InputError when there is no loader.
void load_global(Api& api);
// Fills the instance-level entry points; throws std::runtime_error when one is missing.
void load_instance(Api& api, VkInstance instance);

const char* result_name(VkResult r);
// Throws std::runtime_error("vulkan: <what> failed: VK_ERROR_...") unless r is VK_SUCCESS.
void check(VkResult r, const char* what);

}  // namespace quant::vk
