#include "vk_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "quant/error.h"

namespace quant::vk {

namespace {

constexpr uint64_t kWaitTimeoutNs = 300ull * 1000 * 1000 * 1000;  // a hung driver becomes an error, not a hang
constexpr uint32_t kSetsPerPool = 256;

int type_preference(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
  }
}

std::string version_string(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

// Why device d cannot be used, so the error can say it (empty when it can); *family: its first compute
// queue family.
std::string why_unusable(const Api& vk, VkPhysicalDevice d, uint32_t* family) {
  VkPhysicalDeviceProperties p;
  vk.vkGetPhysicalDeviceProperties(d, &p);
  if (p.apiVersion < VK_API_VERSION_1_1) return "supports only Vulkan " + version_string(p.apiVersion);
  VkPhysicalDeviceSubgroupProperties sg{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &sg;
  vk.vkGetPhysicalDeviceProperties2(d, &p2);
  if (!(sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) || !(sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT))
    return "no subgroup arithmetic in compute shaders";
  if (sg.subgroupSize == 0 || (sg.subgroupSize & (sg.subgroupSize - 1)) != 0 || sg.subgroupSize > 128)
    return "unusual subgroup size " + std::to_string(sg.subgroupSize);
  uint32_t nq = 0;
  vk.vkGetPhysicalDeviceQueueFamilyProperties(d, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> q(nq);
  vk.vkGetPhysicalDeviceQueueFamilyProperties(d, &nq, q.data());
  bool found = false;
  for (uint32_t i = 0; i < nq && !found; ++i)
    if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) { *family = i; found = true; }
  if (!found) return "no compute queue";
  VkPhysicalDeviceMemoryProperties mp;
  vk.vkGetPhysicalDeviceMemoryProperties(d, &mp);
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((mp.memoryTypes[i].propertyFlags & want) == want) return "";
  return "no host-visible coherent memory";
}

}  // namespace

Device::Device() {
  load_global(vk_);
  uint32_t version = 0;
  vk_.vkEnumerateInstanceVersion(&version);
  if (version < VK_API_VERSION_1_1)
    throw InputError("--backend vulkan: the Vulkan loader supports only version " + version_string(version) +
                     " (1.1 or later is needed)");
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "quant";
  app.pEngineName = "quant";
  app.apiVersion = std::min<uint32_t>(version, VK_API_VERSION_1_3);
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  VkResult r = vk_.vkCreateInstance(&ci, nullptr, &instance_);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED)
    throw InputError(std::string("--backend vulkan: no Vulkan driver found (vkCreateInstance: ") + result_name(r) +
                     "; install one, e.g. mesa-vulkan-drivers, or point VK_ICD_FILENAMES at its ICD file)");
  check(r, "vkCreateInstance");
  try {
    load_instance(vk_, instance_);
    pick_device();
    create_device();
  } catch (...) {
    if (device_) vk_.vkDestroyDevice(device_, nullptr);
    vk_.vkDestroyInstance(instance_, nullptr);
    throw;
  }
}

Device::~Device() {
  if (device_) {
    vk_.vkDeviceWaitIdle(device_);
    for (VkDescriptorPool p : pools_) vk_.vkDestroyDescriptorPool(device_, p, nullptr);
    for (auto& [key, view] : views_) vk_.vkDestroyBufferView(device_, view, nullptr);
    for (Kernel& k : kernels_) {
      vk_.vkDestroyPipeline(device_, k.pipeline, nullptr);
      vk_.vkDestroyPipelineLayout(device_, k.layout, nullptr);
      vk_.vkDestroyDescriptorSetLayout(device_, k.set_layout, nullptr);
    }
    if (fence_) vk_.vkDestroyFence(device_, fence_, nullptr);
    if (command_pool_) vk_.vkDestroyCommandPool(device_, command_pool_, nullptr);
    vk_.vkDestroyDevice(device_, nullptr);
  }
  if (instance_) vk_.vkDestroyInstance(instance_, nullptr);
}

void Device::pick_device() {
  uint32_t n = 0;
  VkResult r = vk_.vkEnumeratePhysicalDevices(instance_, &n, nullptr);
  if (r == VK_ERROR_INITIALIZATION_FAILED) n = 0;  // a driver without its hardware
  else check(r, "vkEnumeratePhysicalDevices");
  if (n == 0)
    throw InputError("--backend vulkan: no Vulkan device found (the loader found no driver with a device; "
                     "VK_ICD_FILENAMES selects one, e.g. /usr/share/vulkan/icd.d/lvp_icd.x86_64.json)");
  std::vector<VkPhysicalDevice> devices(n);
  check(vk_.vkEnumeratePhysicalDevices(instance_, &n, devices.data()), "vkEnumeratePhysicalDevices");
  physical_ = devices[choose_device(devices)];
  read_device_info();
}

// QUANT_VULKAN_DEVICE's device, else the usable one of the most preferred type; sets queue_family_.
int Device::choose_device(const std::vector<VkPhysicalDevice>& devices) {
  const uint32_t n = static_cast<uint32_t>(devices.size());
  int chosen = -1;
  const char* env = std::getenv("QUANT_VULKAN_DEVICE");
  if (env && *env) {
    char* end = nullptr;
    long idx = std::strtol(env, &end, 10);
    if (*end != '\0' || idx < 0 || idx >= static_cast<long>(n))
      throw InputError("QUANT_VULKAN_DEVICE=" + std::string(env) + ": not a device index in 0.." + std::to_string(n - 1));
    std::string why = why_unusable(vk_, devices[idx], &queue_family_);
    if (!why.empty()) throw InputError("QUANT_VULKAN_DEVICE=" + std::string(env) + ": device unusable: " + why);
    chosen = static_cast<int>(idx);
  } else {
    int best = -1;
    std::string reasons;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t family = 0;
      std::string why = why_unusable(vk_, devices[i], &family);
      VkPhysicalDeviceProperties p;
      vk_.vkGetPhysicalDeviceProperties(devices[i], &p);
      if (!why.empty()) {
        reasons += std::string(reasons.empty() ? "" : "; ") + p.deviceName + ": " + why;
        continue;
      }
      if (type_preference(p.deviceType) > best) {
        best = type_preference(p.deviceType);
        chosen = static_cast<int>(i);
        queue_family_ = family;
      }
    }
    if (chosen < 0) throw InputError("--backend vulkan: no usable Vulkan device (" + reasons + ")");
  }
  return chosen;
}

// info_ from physical_'s properties.
void Device::read_device_info() {
  VkPhysicalDeviceProperties p;
  vk_.vkGetPhysicalDeviceProperties(physical_, &p);
  VkPhysicalDeviceSubgroupProperties sg{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceDriverProperties drv{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceSubgroupSizeControlProperties ssc{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &sg;
  const bool v12 = p.apiVersion >= VK_API_VERSION_1_2, v13 = p.apiVersion >= VK_API_VERSION_1_3;
  if (v12) sg.pNext = &drv;
  if (v13) drv.pNext = &ssc;
  vk_.vkGetPhysicalDeviceProperties2(physical_, &p2);

  info_.name = p.deviceName;
  info_.driver = v12 ? std::string(drv.driverName) + " " + drv.driverInfo
                     : "vendor " + std::to_string(p.vendorID) + " driver " + std::to_string(p.driverVersion);
  info_.subgroup_size = sg.subgroupSize;
  // Without subgroup size control a driver may run a workgroup as several smaller subgroups.
  info_.fixed_subgroup = v13 && ssc.minSubgroupSize == ssc.maxSubgroupSize && ssc.maxSubgroupSize == sg.subgroupSize;
  info_.max_buffer_range = p.limits.maxStorageBufferRange;
  info_.max_texel_elements = p.limits.maxTexelBufferElements;
  // Tests lower the limits to exercise the paths that split work across buffers and submits.
  if (const char* cap = std::getenv("QUANT_VULKAN_MAX_BUFFER_BYTES"); cap && *cap) {
    const uint64_t bytes = std::strtoull(cap, nullptr, 10);
    if (bytes >= 1024) {
      info_.max_buffer_range = std::min<uint64_t>(info_.max_buffer_range, bytes);
      info_.max_texel_elements = std::min<uint64_t>(info_.max_texel_elements, bytes / 16);
    }
  }
}

void Device::create_device() {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  q.queueFamilyIndex = queue_family_;
  q.queueCount = 1;
  q.pQueuePriorities = &priority;
  VkDeviceCreateInfo ci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  ci.queueCreateInfoCount = 1;
  ci.pQueueCreateInfos = &q;
  check(vk_.vkCreateDevice(physical_, &ci, nullptr, &device_), "vkCreateDevice");
  vk_.vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = queue_family_;
  check(vk_.vkCreateCommandPool(device_, &pci, nullptr, &command_pool_), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = command_pool_;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  check(vk_.vkAllocateCommandBuffers(device_, &ai, &cmd_), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  check(vk_.vkCreateFence(device_, &fci, nullptr, &fence_), "vkCreateFence");

  VkPhysicalDeviceMemoryProperties mp;
  vk_.vkGetPhysicalDeviceMemoryProperties(physical_, &mp);
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((mp.memoryTypes[i].propertyFlags & (host | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) ==
        (host | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
      info_.device_local_host_visible = true;
      break;
    }
}

Buffer Device::create_buffer(size_t bytes) {
  Buffer b;
  b.size = std::max<size_t>(bytes, 16);
  VkBufferCreateInfo ci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  ci.size = b.size;
  ci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT;
  ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(vk_.vkCreateBuffer(device_, &ci, nullptr, &b.buffer), "vkCreateBuffer");
  VkMemoryRequirements req;
  vk_.vkGetBufferMemoryRequirements(device_, b.buffer, &req);
  VkPhysicalDeviceMemoryProperties mp;
  vk_.vkGetPhysicalDeviceMemoryProperties(physical_, &mp);
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int type = -1;
  for (VkMemoryPropertyFlags want : {host | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, host}) {
    for (uint32_t i = 0; i < mp.memoryTypeCount && type < 0; ++i)
      if ((req.memoryTypeBits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) type = static_cast<int>(i);
    if (type >= 0) break;
  }
  VkResult r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
  if (type >= 0) {
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = static_cast<uint32_t>(type);
    r = vk_.vkAllocateMemory(device_, &ai, nullptr, &b.memory);
  }
  if (r == VK_SUCCESS) r = vk_.vkBindBufferMemory(device_, b.buffer, b.memory, 0);
  if (r == VK_SUCCESS) r = vk_.vkMapMemory(device_, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped);
  if (r != VK_SUCCESS) {
    destroy(b);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
      throw InputError("--backend vulkan: out of device memory allocating " + std::to_string(bytes >> 20) +
                       " MiB (" + result_name(r) + ")");
    check(r, "allocating a buffer");
  }
  return b;
}

void Device::destroy(Buffer& b) {
  if (b.buffer) {
    // Cached descriptor sets that bind this buffer would dangle once the handle is reused.
    for (auto it = sets_.begin(); it != sets_.end();) {
      const auto& bufs = it->first.second;
      bool uses = std::any_of(bufs.begin(), bufs.end(), [&](const auto& e) { return e.first == b.buffer; });
      it = uses ? sets_.erase(it) : std::next(it);
    }
    for (auto it = views_.begin(); it != views_.end();) {
      if (it->first.first != b.buffer) { ++it; continue; }
      vk_.vkDestroyBufferView(device_, it->second, nullptr);
      it = views_.erase(it);
    }
    vk_.vkDestroyBuffer(device_, b.buffer, nullptr);
  }
  if (b.memory) vk_.vkFreeMemory(device_, b.memory, nullptr);  // unmaps too
  b = Buffer{};
}

Kernel Device::create_kernel(const unsigned char* spirv, size_t spirv_bytes, const std::vector<VkDescriptorType>& types,
                             uint32_t push_bytes, const std::vector<uint32_t>& spec) {
  Kernel k;
  k.push_bytes = push_bytes;
  const uint32_t n_bindings = static_cast<uint32_t>(types.size());
  VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  mi.codeSize = spirv_bytes;
  mi.pCode = reinterpret_cast<const uint32_t*>(spirv);
  VkShaderModule module = VK_NULL_HANDLE;
  check(vk_.vkCreateShaderModule(device_, &mi, nullptr, &module), "vkCreateShaderModule");

  std::vector<VkDescriptorSetLayoutBinding> bindings(n_bindings);
  for (uint32_t i = 0; i < n_bindings; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = types[i];
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  li.bindingCount = n_bindings;
  li.pBindings = bindings.data();
  check(vk_.vkCreateDescriptorSetLayout(device_, &li, nullptr, &k.set_layout), "vkCreateDescriptorSetLayout");
  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
  VkPipelineLayoutCreateInfo pli{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pli.setLayoutCount = 1;
  pli.pSetLayouts = &k.set_layout;
  pli.pushConstantRangeCount = push_bytes ? 1 : 0;
  pli.pPushConstantRanges = &range;
  check(vk_.vkCreatePipelineLayout(device_, &pli, nullptr, &k.layout), "vkCreatePipelineLayout");

  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4u, 4};
  VkSpecializationInfo si{static_cast<uint32_t>(entries.size()), entries.data(), spec.size() * 4, spec.data()};
  VkComputePipelineCreateInfo pci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  pci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pci.stage.module = module;
  pci.stage.pName = "main";
  pci.stage.pSpecializationInfo = &si;
  pci.layout = k.layout;
  VkResult r = vk_.vkCreateComputePipelines(device_, VK_NULL_HANDLE, 1, &pci, nullptr, &k.pipeline);
  vk_.vkDestroyShaderModule(device_, module, nullptr);
  check(r, "vkCreateComputePipelines");
  kernels_.push_back(k);
  return k;
}

VkDescriptorSet Device::descriptor_set(const Kernel& k, const std::vector<Binding>& bindings) {
  std::vector<std::pair<VkBuffer, VkFormat>> used;
  for (const Binding& b : bindings) used.emplace_back(b.buffer->buffer, b.texel_format);
  auto key = std::make_pair(k.set_layout, used);
  auto it = sets_.find(key);
  if (it != sets_.end()) return it->second;

  VkDescriptorSet set = VK_NULL_HANDLE;
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &k.set_layout;
  VkResult r = VK_ERROR_OUT_OF_POOL_MEMORY;
  if (!pools_.empty()) {
    ai.descriptorPool = pools_.back();
    r = vk_.vkAllocateDescriptorSets(device_, &ai, &set);
  }
  if (r == VK_ERROR_OUT_OF_POOL_MEMORY || r == VK_ERROR_FRAGMENTED_POOL) {
    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * 4},
                                     {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kSetsPerPool * 4}};
    VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pi.maxSets = kSetsPerPool;
    pi.poolSizeCount = 2;
    pi.pPoolSizes = sizes;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    check(vk_.vkCreateDescriptorPool(device_, &pi, nullptr, &pool), "vkCreateDescriptorPool");
    pools_.push_back(pool);
    ai.descriptorPool = pool;
    r = vk_.vkAllocateDescriptorSets(device_, &ai, &set);
  }
  check(r, "vkAllocateDescriptorSets");

  std::vector<VkDescriptorBufferInfo> infos(bindings.size());
  std::vector<VkBufferView> views(bindings.size());
  std::vector<VkWriteDescriptorSet> writes(bindings.size());
  for (size_t i = 0; i < bindings.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    if (bindings[i].texel_format == VK_FORMAT_UNDEFINED) {
      infos[i] = {bindings[i].buffer->buffer, 0, VK_WHOLE_SIZE};
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    } else {
      views[i] = view(*bindings[i].buffer, bindings[i].texel_format);
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
      writes[i].pTexelBufferView = &views[i];
    }
  }
  vk_.vkUpdateDescriptorSets(device_, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
  sets_.emplace(std::move(key), set);
  return set;
}

VkBufferView Device::view(const Buffer& b, VkFormat format) {
  auto key = std::make_pair(b.buffer, format);
  if (auto it = views_.find(key); it != views_.end()) return it->second;
  VkBufferViewCreateInfo ci{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
  ci.buffer = b.buffer;
  ci.format = format;
  ci.offset = 0;
  ci.range = VK_WHOLE_SIZE;
  VkBufferView v = VK_NULL_HANDLE;
  check(vk_.vkCreateBufferView(device_, &ci, nullptr, &v), "vkCreateBufferView");
  views_.emplace(key, v);
  return v;
}

void Device::begin() {
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(vk_.vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
  recording_ = true;
  dirty_ = false;
}

void Device::dispatch(const Kernel& k, VkDescriptorSet set, const void* push, uint32_t groups_x, uint32_t groups_y) {
  if (!recording_) begin();
  vk_.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, k.pipeline);
  vk_.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, k.layout, 0, 1, &set, 0, nullptr);
  if (k.push_bytes) vk_.vkCmdPushConstants(cmd_, k.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, k.push_bytes, push);
  vk_.vkCmdDispatch(cmd_, groups_x, groups_y, 1);
  dirty_ = true;
}

void Device::barrier() {
  if (!recording_ || !dirty_) return;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vk_.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb,
                           0, nullptr, 0, nullptr);
  dirty_ = false;
}

bool Device::submit_and_wait() {
  if (!recording_) return false;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vk_.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0,
                           nullptr, 0, nullptr);
  recording_ = false;
  check(vk_.vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  check(vk_.vkQueueSubmit(queue_, 1, &si, fence_), "vkQueueSubmit");
  VkResult r = vk_.vkWaitForFences(device_, 1, &fence_, VK_TRUE, kWaitTimeoutNs);
  if (r == VK_TIMEOUT) throw std::runtime_error("vulkan: the device did not finish a submission within 300 s");
  check(r, "vkWaitForFences");
  check(vk_.vkResetFences(device_, 1, &fence_), "vkResetFences");
  check(vk_.vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  return true;
}

}  // namespace quant::vk
