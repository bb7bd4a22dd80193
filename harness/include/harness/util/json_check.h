#pragma once
// Reading hand-written JSON (suites, variants, results) with errors that name the file and the JSON path
// of the bad field, e.g. "suites/pr.json: $.metrics.speed.depths[1]: expected an integer >= 0, got "x"".
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quant::harness {

class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string file, std::string path = "$")
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& raw() const { return *value_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  // Throws InputError("<file>: <path>: <problem>").
  [[noreturn]] void fail(const std::string& problem) const;

  // Object access. `at` requires the field; `opt` returns nothing when it is absent.
  bool has(const std::string& key) const;
  JsonNode at(const std::string& key) const;
  std::optional<JsonNode> opt(const std::string& key) const;
  // Rejects fields outside `allowed` (a typo must not be ignored silently).
  void only(std::initializer_list<const char*> allowed) const;
  std::vector<std::string> keys() const;

  // Array access.
  std::vector<JsonNode> items() const;

  std::string str() const;                       // non-empty string
  std::string str_or_empty() const;              // any string
  int64_t integer(int64_t lo, int64_t hi) const; // integer within [lo, hi]
  double number(double lo, double hi) const;     // finite number within [lo, hi]
  bool boolean() const;
  std::vector<std::string> strings() const;      // array of non-empty strings
  std::string plain_name() const;                // a name that may become a file name (is_plain_name)

  bool is_string() const { return value_->is_string(); }
  bool is_object() const { return value_->is_object(); }
  bool is_array() const { return value_->is_array(); }

  // A short rendering of the value for error messages.
  std::string shown() const;

 private:
  const nlohmann::json* value_;
  std::string file_, path_;
};

// A name that becomes part of a path (suite, variant, model, text, release version): letters, digits,
// '-', '_' and '.', not starting with '.', at most 100 characters. So "..", "a/b" or "" never become paths.
bool is_plain_name(const std::string& name);
extern const char* const kPlainNameRule;
// [a-z0-9][a-z0-9_.-]* (claim and variant names) and [A-Za-z_][A-Za-z0-9_]* (CMake options, environment
// variables), checked by hand: std::regex matches recursively, a frame per character, and a name of a few
// tens of thousands of characters overflowed the stack.
bool is_lower_id(const std::string& s);
bool is_identifier(const std::string& s);

// Types of the fields that bench-all reads from an otherwise free-form section (provenance, engine
// reports), where present: `section` must be an object, any other field passes.
// Numbers: finite and >= 0.
void check_field_types(const JsonNode& section, std::initializer_list<const char*> strings,
                       std::initializer_list<const char*> booleans = {}, std::initializer_list<const char*> numbers = {});

// `j[key]` when `j` is an object holding `key`, else null. The const operator[] of nlohmann::json reads
// past the end of the object when the key is missing (undefined behaviour, no error): never use it on
// what a file supplied.
const nlohmann::json& member(const nlohmann::json& j, const std::string& key);
// A field of such a section when it has that type, else the fallback (reports show what they can).
std::string text_of(const nlohmann::json& j, const std::string& key, const std::string& fallback = "?");
bool flag_of(const nlohmann::json& j, const std::string& key);
double number_of(const nlohmann::json& j, const std::string& key, double fallback = 0);

// What bench-all parses is bounded, so a hostile file cannot exhaust the stack or memory.
constexpr int kMaxJsonDepth = 64;
constexpr size_t kMaxJsonBytes = size_t{256} << 20;
// False when brackets in `text` (outside strings) nest deeper than `max_depth`.
bool json_depth_within(const std::string& text, int max_depth);
// Parses JSON text within those bounds; InputError "<what>: <problem>" otherwise.
nlohmann::json parse_json_text(const std::string& text, const std::string& what);

// Parses a JSON file; a missing file or invalid JSON is an InputError naming the file (and byte offset).
nlohmann::json read_json_file(const std::string& path);

// Writes through a temporary file and a rename, so a failure never leaves a partial file; on an error
// (a full disk, a read-only folder) the temporary is removed and the InputError names the path and reason.
void write_text_file(const std::string& path, const std::string& text);
// Several files that belong together: every one is written to its temporary first, and only when all
// succeeded are they renamed into place, so a failure keeps the previous complete set.
void write_text_files(const std::vector<std::pair<std::string, std::string>>& files);
std::string read_text(const std::string& path);  // InputError when unreadable

// Checks "schema" and "schema_version" of a document this program writes or reads.
void check_schema(const JsonNode& doc, const std::string& schema, int64_t max_version);

}  // namespace quant::harness
