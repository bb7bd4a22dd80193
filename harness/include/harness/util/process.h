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

// The child's side of starting a process, after fork(): sets `env`, moves to `cwd` (unless empty) and execs
// argv. When that fails it writes errno to `exec_error_fd` (the write end of a close-on-exec pipe) and exits
// 127. Never returns.
[[noreturn]] void exec_in_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                const std::string& cwd, int exec_error_fd);

// The parent's side: reads the pipe exec_in_child reports through and closes it. The errno of a failed exec,
// or 0 once the exec succeeded (the pipe closed with it).
int exec_error(int exec_error_read_fd);

// The last `max_lines` lines of `text` (at most `max_chars` characters), for error reports; bytes that are
// not valid UTF-8 come back as \xHH so the text can go into JSON.
std::string tail_lines(const std::string& text, int max_lines = 8, size_t max_chars = 2000);

}  // namespace quant::harness
