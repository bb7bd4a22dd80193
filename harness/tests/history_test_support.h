#pragma once
// Helpers for the history and HTML tests: replayed sweeps (the fixture's results with another commit,
// commit time and scaled timings) and headless Chromium.
#include <nlohmann/json.hpp>
#include <string>

namespace quant::harness::test {

// A 40-hex commit id made from n.
std::string fake_commit(int n);

// The fixture results-release-small.json as commit `n` (committed n hours after 2026-01-01), with the
// tok/s samples of every speed cell whose id contains `scaled_cell` multiplied by `factor` and those of
// the other speed cells by `other_factor`.
nlohmann::json replayed_sweep(int n, const std::string& scaled_cell, double factor, double other_factor);

// Headless Chromium's serialised DOM of `url` after its scripts ran; "" with `why` set when Chromium is
// absent (the caller skips) or failed.
struct BrowserPage {
  std::string dom, log, why;
  bool ok() const { return why.empty(); }
};
BrowserPage headless_dom(const std::string& url, const std::string& screenshot = "");

}  // namespace quant::harness::test
