#include "bench_output.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "context.h"

namespace quant::cli {

using nlohmann::json;

namespace {

struct Summary {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

Summary summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// " @ d4096" (" @ d4096 random" when the depth was filled without running the model); "" at depth 0.
std::string depth_label(const json& bench) {
  const int depth = bench.at("depth").get<int>();
  if (!depth) return "";
  return " @ d" + std::to_string(depth) + (bench.value("depth_fill", "prefill") == "random" ? " random" : "");
}

// "pp128", "tg64 @ d4096": llama-bench's test names.
std::string test_name(const char* test, const json& bench) {
  const int n = bench.at(std::string(test) == "pp" ? "n_prompt" : "n_gen").get<int>();
  return test + std::to_string(n) + depth_label(bench);
}

// "pp128 tg64 @ d4096, 2 threads, batch 512, K q8_0 / V fp16": one run of a sweep.
std::string point_label(const json& j) {
  const json& b = j["bench"];
  return "pp" + b["n_prompt"].dump() + " tg" + b["n_gen"].dump() +
         depth_label(b) + ", " + j["config"]["threads"].dump() +
         " threads, batch " + j["config"]["batch"].dump() + ", K " + j["kv"]["k_type"].get<std::string>() + " / V " +
         j["kv"]["v_type"].get<std::string>();
}

template <typename Row>
void for_each_test(const json& j, Row row) {
  for (const char* test : {"pp", "tg"}) {
    const auto samples = j.at("bench").at(test).at("tok_s").get<std::vector<double>>();
    if (!samples.empty()) row(test, samples);
  }
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

BenchWriter::BenchWriter(const Options& o)
    : format_(o.json ? BenchFormat::md : o.bench_format), one_object_(o.json), table_(o.json ? stderr : stdout) {}

// Headers come with the first measured point: a run that fails before measuring prints nothing on stdout.
void BenchWriter::header() {
  if (format_ == BenchFormat::md)
    std::fprintf(table_, "| model | backend | threads | batch | K | V | test | tok/s |\n"
                         "|---|---|---|---|---|---|---|---|\n");
  if (format_ == BenchFormat::csv)
    std::fprintf(stdout, "model,arch,backend,threads,batch,k_type,v_type,test,n_prompt,n_gen,depth,reps,"
                         "mean_tok_s,stddev_tok_s,min_tok_s,max_tok_s,samples_tok_s\n");
  std::fflush(table_);
}

void BenchWriter::md_rows(const json& j) {
  for_each_test(j, [&](const char* test, const std::vector<double>& v) {
    const Summary s = summarize(v);
    std::fprintf(table_, "| %s | %s | %d | %d | %s | %s | %s | %.2f (min %.2f, max %.2f) |\n",
                 j["model"]["arch"].get<std::string>().c_str(), j["backend"]["used"].get<std::string>().c_str(),
                 j["config"]["threads"].get<int>(), j["config"]["batch"].get<int>(),
                 j["kv"]["k_type"].get<std::string>().c_str(), j["kv"]["v_type"].get<std::string>().c_str(),
                 test_name(test, j["bench"]).c_str(), s.mean, s.min, s.max);
  });
}

void BenchWriter::csv_rows(const json& j) {
  for_each_test(j, [&](const char* test, const std::vector<double>& v) {
    const Summary s = summarize(v);
    std::string samples;
    for (double x : v) samples += (samples.empty() ? "" : ";") + std::to_string(x);
    const json& b = j["bench"];
    std::fprintf(stdout, "%s,%s,%s,%d,%d,%s,%s,%s,%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%s\n",
                 csv_field(std::filesystem::path(j["model"]["path"].get<std::string>()).filename().string()).c_str(),
                 csv_field(j["model"]["arch"].get<std::string>()).c_str(), j["backend"]["used"].get<std::string>().c_str(),
                 j["config"]["threads"].get<int>(), j["config"]["batch"].get<int>(),
                 j["kv"]["k_type"].get<std::string>().c_str(), j["kv"]["v_type"].get<std::string>().c_str(),
                 csv_field(test_name(test, b)).c_str(), b["n_prompt"].get<int>(), b["n_gen"].get<int>(),
                 b["depth"].get<int>(), b["reps"].get<int>(), s.mean, s.stddev, s.min, s.max, samples.c_str());
  });
}

void BenchWriter::add(const json& point) {
  if (points_.empty()) header();
  points_.push_back(point);
  switch (format_) {
    case BenchFormat::md: md_rows(point); break;
    case BenchFormat::csv: csv_rows(point); break;
    case BenchFormat::jsonl:
      std::fprintf(stdout, "%s\n", point.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      break;
    case BenchFormat::json: break;  // one array at the end: no partial document on failure
  }
  std::fflush(stdout);
  std::fflush(table_);
}

void BenchWriter::finish() {
  if (format_ == BenchFormat::json) {
    emit_json(json(points_));
    return;
  }
  if (format_ != BenchFormat::md) return;
  const bool sweep = points_.size() > 1;
  if (sweep && !points_.empty())  // the same weights in every run: their bytes once, no per-run GB/s lines
    std::fprintf(table_, "weights read per decoded token: %.3f GB (x tg tok/s = weight GB/s)\n",
                 points_[0]["bench"]["weight_bytes_per_token"].get<double>() / 1e9);
  for (const json& j : points_) {
    const json& b = j["bench"];
    const double wbytes = b["weight_bytes_per_token"].get<double>();
    if (!sweep && b["n_gen"].get<int>() > 0)
      std::fprintf(table_, "weights read per decoded token: %.3f GB; at the mean tg speed: %.2f GB/s\n", wbytes / 1e9,
                   wbytes * b["tg"]["mean_tok_s"].get<double>() / 1e9);
    const json& bw = b["bandwidth"];
    if (bw.is_object())
      std::fprintf(table_,
                   "%sdecode at %.0f%% of the read bandwidth (median of %zu slices of %d tokens: %.2f of %.2f GB/s)\n",
                   sweep ? (point_label(j) + ": ").c_str() : "", 100 * bw["median_fraction"].get<double>(),
                   bw["fraction"].size(), bw["tokens_per_slice"].get<int>(),
                   median(bw["slice_weight_gb_s"].get<std::vector<double>>()), bw["median_read_gb_s"].get<double>());
  }
  std::fflush(table_);
  if (one_object_) emit_json(points_.at(0));
}

}  // namespace quant::cli
