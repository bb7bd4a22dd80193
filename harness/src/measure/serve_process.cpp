#include "harness/measure/serve_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "harness/util/process.h"
#include "quant/error.h"

namespace quant::harness {

namespace {

using Clock = std::chrono::steady_clock;

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

ServeProcess::ServeProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
    : program_(argv.empty() ? "" : argv[0]) {
  if (argv.empty()) throw InputError("serve process: empty command line");
  std::signal(SIGPIPE, SIG_IGN);  // a child that died must not kill bench-all through a write to its stdin
  int in_pipe[2], out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) ||
      pipe2(exec_pipe, O_CLOEXEC))
    throw InputError(program_ + ": cannot create pipes: " + std::strerror(errno));
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    exec_in_child(argv, env, "", exec_pipe[1]);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  in_ = in_pipe[1];
  out_ = out_pipe[0];
  err_ = err_pipe[0];
  if (pid_ < 0) {
    close(exec_pipe[0]);
    close_fd(in_), close_fd(out_), close_fd(err_);
    throw InputError(program_ + ": cannot fork: " + std::strerror(errno));
  }
  const int exec_errno = exec_error(exec_pipe[0]);
  if (exec_errno != 0) {
    reap(true);
    close_fd(in_), close_fd(out_), close_fd(err_);
    throw InputError("cannot run " + program_ + ": " + std::strerror(exec_errno));
  }
}

ServeProcess::~ServeProcess() {
  if (!exited_) {
    kill(-pid_, SIGKILL);
    reap(true);
  }
  close_fd(in_), close_fd(out_), close_fd(err_);
}

bool ServeProcess::send(const std::string& line) {
  if (in_ < 0) return false;
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(in_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads whatever stdout and stderr have (waiting up to wait_ms for the first of them).
void ServeProcess::pump(int wait_ms) {
  pollfd fds[2] = {{out_open_ ? out_ : -1, POLLIN, 0}, {err_, POLLIN, 0}};
  if (poll(fds, 2, wait_ms) <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      (i ? err_buf_ : out_buf_).append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      if (i == 0) out_open_ = false;
      else close_fd(err_);
    }
  }
  if (err_buf_.size() > (1u << 20)) err_buf_.erase(0, err_buf_.size() - (1u << 19));  // keep the tail
}

std::optional<std::string> ServeProcess::read_line(double timeout_s) {
  const auto start = Clock::now();
  timed_out_ = false;
  for (;;) {
    const size_t nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (!out_open_) {
      for (int i = 0; i < 25 && err_ >= 0; ++i) pump(20);  // the error message it printed last
      reap(true);
      return std::nullopt;
    }
    const double left = timeout_s - std::chrono::duration<double>(Clock::now() - start).count();
    if (left <= 0) {
      timed_out_ = true;
      return std::nullopt;
    }
    pump(static_cast<int>(left * 1000) + 1);
  }
}

void ServeProcess::reap(bool block) {
  if (exited_ || pid_ <= 0) return;
  int st = 0;
  pid_t r;
  while ((r = waitpid(pid_, &st, block ? 0 : WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid_) {
    exited_ = true;
    status_ = st;
  }
}

void ServeProcess::finish(double timeout_s) {
  close_fd(in_);
  const auto start = Clock::now();
  while (!exited_) {
    reap(false);
    if (exited_) break;
    if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) {
      kill(-pid_, SIGKILL);
      reap(true);
      break;
    }
    pump(20);
  }
}

std::string ServeProcess::why() const {
  std::string w;
  if (timed_out_) {
    w = program_ + " did not answer in time";
  } else if (exited_ && WIFSIGNALED(status_)) {
    w = program_ + " was killed by signal " + std::to_string(WTERMSIG(status_));
  } else if (exited_) {
    w = program_ + " exited with code " + std::to_string(WEXITSTATUS(status_));
  } else {
    w = program_ + " closed its output";
  }
  const std::string tail = tail_lines(err_buf_, 3, 400);
  return tail.empty() ? w : w + ": " + tail;
}

}  // namespace quant::harness
