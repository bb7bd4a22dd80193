#pragma once
// The JSON object quant prints with --json (schema "quant.run"); see docs/quant-json.md.
#include <nlohmann/json.hpp>

#include "options.h"
#include "quant/backend.h"
#include "quant/model.h"
#include "quant/session.h"

namespace quant::cli {

constexpr int kSchemaVersion = 1;

// Schema, build, system, configuration and model sections shared by every mode.
nlohmann::json base_report(const Options& o, const char* mode);
void add_model(nlohmann::json& j, const Options& o, const Model& m);
void add_backend(nlohmann::json& j, const std::string& requested, const Backend& b);
// Bytes per token actually allocated for K and V, bits per element, and compression ratios.
void add_kv(nlohmann::json& j, const Session& s);

}  // namespace quant::cli
