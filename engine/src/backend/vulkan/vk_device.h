#pragma once
// One Vulkan device with one compute queue: buffers, compute kernels, cached descriptor sets, and a single
// command buffer that is recorded, submitted and waited for (never more than one submission in flight).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vk_api.h"

namespace quant::vk {

// Host-visible, coherent and persistently mapped: the host writes inputs and reads results in place.
struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void* mapped = nullptr;
  size_t size = 0;
  float* floats() const { return static_cast<float*>(mapped); }
};

struct DeviceInfo {
  std::string name;              // VkPhysicalDeviceProperties::deviceName
  std::string driver;            // driver name and info (Vulkan 1.2), else vendor id and driver version
  uint32_t subgroup_size = 0;    // invocations per subgroup (the workgroup size of every kernel)
  bool fixed_subgroup = false;   // compute subgroups always have exactly subgroup_size invocations
  uint64_t max_buffer_range = 0; // largest storage buffer a descriptor may bind
  uint64_t max_texel_elements = 0;  // largest uniform texel buffer, in texels
  bool device_local_host_visible = false;  // buffers live in device memory the host can map (UMA, lavapipe)
};

// A compute pipeline and its layout: one descriptor per binding, push constants, specialisation constants.
struct Kernel {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  uint32_t push_bytes = 0;
};

// What a kernel binding reads or writes: a storage buffer, or (with a format) a uniform texel buffer.
// Kernels read through texel buffers: lavapipe turns storage-buffer loads inside loops into per-lane
// branchy loops, but texel fetches into plain gathers (several times faster there; fine on GPUs too).
struct Binding {
  const Buffer* buffer;
  VkFormat texel_format = VK_FORMAT_UNDEFINED;  // UNDEFINED: storage buffer
};

class Device {
 public:
  // Picks a device (QUANT_VULKAN_DEVICE=<index> overrides the preference for discrete GPUs) or throws
  // InputError naming why there is none.
  Device();
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const DeviceInfo& info() const { return info_; }

  Buffer create_buffer(size_t bytes);
  void destroy(Buffer& b);

  // bindings: the descriptor type of bindings 0..n-1; spec: specialisation constants 0.. (uint32 each).
  Kernel create_kernel(const unsigned char* spirv, size_t spirv_bytes, const std::vector<VkDescriptorType>& bindings,
                       uint32_t push_bytes, const std::vector<uint32_t>& spec);
  // The descriptor set binding these buffers (whole ranges) to bindings 0..n-1, created once and cached.
  VkDescriptorSet descriptor_set(const Kernel& k, const std::vector<Binding>& bindings);

  // Recording: dispatch() starts the command buffer when needed; barrier() makes every earlier dispatch's
  // writes visible to later dispatches; submit_and_wait() returns false when nothing was recorded.
  void dispatch(const Kernel& k, VkDescriptorSet set, const void* push, uint32_t groups_x, uint32_t groups_y = 1);
  void barrier();
  bool submit_and_wait();

 private:
  void pick_device();
  int choose_device(const std::vector<VkPhysicalDevice>& devices);
  void read_device_info();
  void create_device();
  void begin();
  VkBufferView view(const Buffer& b, VkFormat format);

  Api vk_;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  uint32_t memory_type_ = 0;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  bool recording_ = false;
  bool dirty_ = false;  // dispatches since the last barrier
  DeviceInfo info_;
  std::vector<Kernel> kernels_;
  std::vector<VkDescriptorPool> pools_;
  std::map<std::pair<VkDescriptorSetLayout, std::vector<std::pair<VkBuffer, VkFormat>>>, VkDescriptorSet> sets_;
  std::map<std::pair<VkBuffer, VkFormat>, VkBufferView> views_;
};

}  // namespace quant::vk
