#include "harness/util/json_check.h"
#include "harness/util/gzip.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
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

const char* const kPlainNameRule = "letters, digits, '-', '_' and '.', not starting with '.'";

bool is_plain_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

namespace {

bool ascii_lower_or_digit(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool ascii_letter_or_underscore(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

}  // namespace

bool is_lower_id(const std::string& s) {
  if (s.empty() || !ascii_lower_or_digit(s[0])) return false;
  for (unsigned char c : s)
    if (!ascii_lower_or_digit(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !ascii_letter_or_underscore(s[0])) return false;
  for (unsigned char c : s)
    if (!ascii_letter_or_underscore(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

void check_field_types(const JsonNode& section, std::initializer_list<const char*> strings,
                       std::initializer_list<const char*> booleans, std::initializer_list<const char*> numbers) {
  if (!section.is_object()) section.fail("expected an object, got " + section.shown());
  for (const char* k : strings)
    if (auto x = section.opt(k)) x->str_or_empty();
  for (const char* k : booleans)
    if (auto x = section.opt(k)) x->boolean();
  for (const char* k : numbers)
    if (auto x = section.opt(k)) x->number(0, std::numeric_limits<double>::max());
}

const json& member(const json& j, const std::string& key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::string text_of(const json& j, const std::string& key, const std::string& fallback) {
  const json& x = member(j, key);
  return x.is_string() ? x.get<std::string>() : fallback;
}

bool flag_of(const json& j, const std::string& key) {
  const json& x = member(j, key);
  return x.is_boolean() && x.get<bool>();
}

double number_of(const json& j, const std::string& key, double fallback) {
  const json& x = member(j, key);
  return x.is_number() ? x.get<double>() : fallback;
}

std::string JsonNode::plain_name() const {
  const std::string s = str();
  if (!is_plain_name(s)) fail(std::string("expected a plain name (") + kPlainNameRule + "), got " + shown());
  return s;
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

bool json_depth_within(const std::string& text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

json parse_json_text(const std::string& text, const std::string& what) {
  if (text.size() > kMaxJsonBytes)
    throw InputError(what + ": " + std::to_string(text.size()) + " bytes, more than the " +
                     std::to_string(kMaxJsonBytes >> 20) + " MiB a bench-all JSON input may have");
  if (!json_depth_within(text, kMaxJsonDepth))
    throw InputError(what + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(what + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {  // e.g. a number out of range (1e400)
    const std::string m = e.what();
    throw InputError(what + ": not valid JSON: " + m.substr(m.find(']') == std::string::npos ? 0 : m.find(']') + 2));
  }
}

json read_json_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw InputError(path + ": not a regular file (" + (fs::is_directory(st) ? "a folder" : "a device, pipe or socket") +
                     "), expected a JSON file");
  if (fs::exists(st) && fs::file_size(path, ec) > kMaxJsonBytes)
    throw InputError(path + ": larger than the " + std::to_string(kMaxJsonBytes >> 20) +
                     " MiB a bench-all JSON input may have");
  if (path.ends_with(".gz")) return parse_json_text(gunzip_bytes(read_text(path), path, kMaxJsonBytes), path);
  return parse_json_text(read_text(path), path);
}

namespace {

// Writes `text` to `tmp` and flushes it to the disk; InputError naming `path` and the OS reason.
void write_temporary(const std::string& path, const std::string& tmp, const std::string& text) {
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw InputError(path + ": cannot write file: " + std::strerror(errno));
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
  const int e = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    std::remove(tmp.c_str());
    throw InputError(path + ": write error: " + std::strerror(wrote ? errno : e));
  }
}

}  // namespace

void write_text_files(const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  std::vector<std::string> temps;
  auto clean = [&] {
    for (const auto& t : temps) std::remove(t.c_str());
  };
  try {
    for (const auto& [path, text] : files) {
      const fs::path p(path);
      std::error_code ec;
      if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
      if (ec) throw InputError(path + ": cannot create its folder: " + ec.message());
      temps.push_back(path + ".tmp");
      write_temporary(path, temps.back(), text);
    }
  } catch (...) {
    clean();  // the previous complete files stay as they were
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (std::rename(temps[i].c_str(), files[i].first.c_str()) != 0) {
      const int e = errno;
      clean();
      throw InputError(files[i].first + ": cannot move the new file into place: " + std::strerror(e));
    }
}

void write_text_file(const std::string& path, const std::string& text) { write_text_files({{path, text}}); }

void check_schema(const JsonNode& doc, const std::string& schema, int64_t max_version) {
  const std::string s = doc.at("schema").str();
  if (s != schema) doc.at("schema").fail("expected \"" + schema + "\", got " + doc.at("schema").shown());
  doc.at("schema_version").integer(1, max_version);
}

}  // namespace quant::harness
