#pragma once
#include <memory>
#include <string>

#include "quant/backend.h"

namespace quant {

// The backend a build uses when none is requested: vulkan in an ENGINE_VULKAN build, cpu otherwise.
std::string default_backend_name();
// Creates the named backend; throws InputError when this build or machine cannot provide it.
std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool);

}  // namespace quant
