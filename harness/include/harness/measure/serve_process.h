#pragma once
// A long-lived child process driven line by line over its stdin and stdout (`quant --serve-bench`):
// start it, send a command, read one reply line with a time limit. Its stderr is collected for error
// reports. The child runs in its own process group, killed when the object goes away.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quant::harness {

class ServeProcess {
 public:
  // Throws InputError naming argv[0] when it cannot be started.
  ServeProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False when the child no longer reads its input (it exited).
  bool send(const std::string& line);
  // The next stdout line; nothing when the child closed stdout or `timeout_s` passed (see why()).
  std::optional<std::string> read_line(double timeout_s);
  // Closes stdin (the child's end of input) and waits up to `timeout_s`; kills it after that.
  void finish(double timeout_s);
  // Why the last read gave nothing, with the tail of the child's stderr.
  std::string why() const;

 private:
  void pump(int wait_ms);
  void reap(bool block);
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buf_, err_buf_;
  bool out_open_ = true, exited_ = false, timed_out_ = false;
  int status_ = 0;
  std::string program_;
};

}  // namespace quant::harness
