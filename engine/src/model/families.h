#pragma once
#include <string_view>

#include "quant/model.h"

namespace quant {
// The static traits of a supported general.architecture (before tensors are looked at), or null.
const FamilyFeatures* family_features(std::string_view arch);
}  // namespace quant
