#pragma once
// Runs a child process with extra environment variables, captures stdout and stderr, and kills the
// whole process group when it exceeds its time limit.
#include <map>
#include <string>
#include <vector>

namespace quant::harness {

struct ProcessResult {
  int exit_code = -1;     // exit status, or -1 when killed by a signal / not started
  int signal = 0;         // terminating signal, 0 if none
  bool timed_out = false;
  bool started = false;   // false: exec failed (the error is in err)
  std::string out, err;
  double seconds = 0;
};

// timeout_s <= 0: no limit. `cwd` empty: inherit.
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          double timeout_s, const std::string& cwd = "");

// The last `max_lines` lines of `text` (at most `max_chars` characters), for error reports; bytes that are
// not valid UTF-8 come back as \xHH so the text can go into JSON.
std::string tail_lines(const std::string& text, int max_lines = 8, size_t max_chars = 2000);

}  // namespace quant::harness
