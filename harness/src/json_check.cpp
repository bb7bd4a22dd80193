#include "harness/json_check.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "quant/error.h"

namespace quant::harness {

using nlohmann::json;

void JsonNode::fail(const std::string& problem) const { throw InputError(file_ + ": " + path_ + ": " + problem); }

std::string JsonNode::shown() const {
  std::string s = value_->dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

bool JsonNode::has(const std::string& key) const { return value_->is_object() && value_->contains(key); }

JsonNode JsonNode::at(const std::string& key) const {
  if (!value_->is_object()) fail("expected an object, got " + shown());
  auto it = value_->find(key);
  if (it == value_->end()) fail("missing required field '" + key + "'");
  return JsonNode(*it, file_, path_ + "." + key);
}

std::optional<JsonNode> JsonNode::opt(const std::string& key) const {
  if (!value_->is_object()) fail("expected an object, got " + shown());
  auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  return JsonNode(*it, file_, path_ + "." + key);
}

void JsonNode::only(std::initializer_list<const char*> allowed) const {
  if (!value_->is_object()) fail("expected an object, got " + shown());
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [k, v] : value_->items())
    if (!ok.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      JsonNode(v, file_, path_ + "." + k).fail("unknown field (valid: " + list + ")");
    }
}

std::vector<std::string> JsonNode::keys() const {
  if (!value_->is_object()) fail("expected an object, got " + shown());
  std::vector<std::string> k;
  for (const auto& [key, v] : value_->items()) k.push_back(key);
  return k;
}

std::vector<JsonNode> JsonNode::items() const {
  if (!value_->is_array()) fail("expected an array, got " + shown());
  std::vector<JsonNode> out;
  for (size_t i = 0; i < value_->size(); ++i)
    out.emplace_back((*value_)[i], file_, path_ + "[" + std::to_string(i) + "]");
  return out;
}

std::string JsonNode::str() const {
  if (!value_->is_string() || value_->get_ref<const std::string&>().empty())
    fail("expected a non-empty string, got " + shown());
  return value_->get<std::string>();
}

std::string JsonNode::str_or_empty() const {
  if (!value_->is_string()) fail("expected a string, got " + shown());
  return value_->get<std::string>();
}

int64_t JsonNode::integer(int64_t lo, int64_t hi) const {
  if (!value_->is_number_integer()) fail("expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + shown());
  const int64_t v = value_->get<int64_t>();
  if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail("integer too large");
  if (v < lo || v > hi) fail("expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + shown());
  return v;
}

double JsonNode::number(double lo, double hi) const {
  if (!value_->is_number()) fail("expected a number, got " + shown());
  const double v = value_->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream s;
    s << "expected a number in " << lo << ".." << hi << ", got " << shown();
    fail(s.str());
  }
  return v;
}

bool JsonNode::boolean() const {
  if (!value_->is_boolean()) fail("expected true or false, got " + shown());
  return value_->get<bool>();
}

std::vector<std::string> JsonNode::strings() const {
  std::vector<std::string> out;
  for (const auto& n : items()) out.push_back(n.str());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw InputError(path + ": read error");
  return ss.str();
}

json read_json_file(const std::string& path) {
  const std::string text = read_text(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
}

void write_text_file(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(path + ": cannot write file");
    f << text;
    f.flush();
    if (!f) throw InputError(path + ": write error");
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path + ": cannot rename temporary file into place");
  }
}

void check_schema(const JsonNode& doc, const std::string& schema, int64_t max_version) {
  const std::string s = doc.at("schema").str();
  if (s != schema) doc.at("schema").fail("expected \"" + schema + "\", got " + doc.at("schema").shown());
  doc.at("schema_version").integer(1, max_version);
}

}  // namespace quant::harness
