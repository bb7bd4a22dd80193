#pragma once
// --bench output: llama-bench's formats (md table, csv, json array, jsonl) or --json's one object.
// Every row is read from the point's quant.run object, so all formats show the same figures.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.h"

namespace quant::cli {

class BenchWriter {
 public:
  explicit BenchWriter(const Options& o);
  void add(const nlohmann::json& point);  // md, csv and jsonl rows are printed as each point finishes
  void finish();                          // json: the array (or --json's object); md: the notes below the table

 private:
  void header();
  void md_rows(const nlohmann::json& j);
  void csv_rows(const nlohmann::json& j);

  BenchFormat format_;
  bool one_object_;  // --json: the table goes to stderr, the object to stdout
  FILE* table_;
  std::vector<nlohmann::json> points_;
};

// One CSV field: quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);

}  // namespace quant::cli
