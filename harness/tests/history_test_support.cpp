#include "history_test_support.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "harness/history/history_store.h"
#include "harness/util/process.h"
#include "harness_test_support.h"

namespace quant::harness::test {

namespace fs = std::filesystem;
using nlohmann::json;

std::string fake_commit(int n) {
  char s[41];
  std::snprintf(s, sizeof s, "%08x%032x", 0xc0ffee00u + n, n);
  return s;
}

json replayed_sweep(int n, const std::string& scaled_cell, double factor, double other_factor) {
  json d = json::parse(read_file(fixture("results-release-small.json")));
  d["provenance"]["harness"]["git_commit"] = fake_commit(n);
  d["provenance"]["harness"]["commit_time"] = utc_time_text(1767225600 + 3600 * static_cast<int64_t>(n));
  d["run"]["id"] = "replay-" + std::to_string(n);
  for (auto& c : d["cells"]) {
    if (c["metric"] != "speed") continue;
    const double f = c["id"].get<std::string>().find(scaled_cell) != std::string::npos ? factor : other_factor;
    for (auto& r : c["runs"])
      if (r.contains("sample") && r["sample"].is_object())
        for (const char* m : {"pp_tok_s", "tg_tok_s"})
        if (r["sample"].contains(m))
          for (auto& v : r["sample"][m]) v = v.get<double>() * f;
  }
  return d;
}

BrowserPage headless_dom(const std::string& url, const std::string& screenshot) {
  BrowserPage p;
  std::string bin;
  // Debian's chromium, or Google's build (GitHub's Ubuntu runners); Ubuntu's chromium-browser is a snap
  // launcher that fails without snapd, so it is not tried.
  for (const char* b : {"/usr/bin/chromium", "/usr/bin/google-chrome"})
    if (fs::exists(b)) {
      bin = b;
      break;
    }
  if (bin.empty()) {
    p.why = "Chromium is not installed (Debian package chromium; scripts/setup installs it)";
    return p;
  }
  const std::string profile = temp_dir("chromium-profile-" + std::to_string(getpid()));
  std::vector<std::string> argv{bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                "--no-first-run", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                                "--virtual-time-budget=3000"};
  if (!screenshot.empty()) {
    argv.push_back("--window-size=1280,1600");
    argv.push_back("--screenshot=" + screenshot);
  } else {
    argv.push_back("--dump-dom");
  }
  argv.push_back(url);
  const ProcessResult r = run_process(argv, {}, 120);
  p.dom = r.out;
  p.log = r.err;
  if (!r.started || r.exit_code != 0)
    p.why = "chromium failed (exit " + std::to_string(r.exit_code) + "): " + tail_lines(r.err, 5, 800);
  return p;
}

}  // namespace quant::harness::test
