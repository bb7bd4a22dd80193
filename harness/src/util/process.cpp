#include "harness/util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "harness/util/utf8.h"

namespace quant::harness {

namespace {

using Clock = std::chrono::steady_clock;

// The process group of the child now running, so that a SIGTERM/SIGINT/SIGHUP to bench-all takes it down
// too (a SIGKILL cannot be caught: PR_SET_PDEATHSIG in the child covers that case).
volatile sig_atomic_t g_child_group = 0;

void kill_child_and_die(int sig) {
  if (g_child_group > 0) kill(-g_child_group, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_forwarding() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler != SIG_DFL) continue;  // someone chose how to handle it (or ignores it): keep that
    struct sigaction sa {};
    sa.sa_handler = kill_child_and_die;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

bool drain(int fd, std::string& into) {
  char buf[65536];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// Reads the child's stdout and stderr into r until both close, or kills its group at the time limit.
void collect_output(pid_t pid, int out_fd, int err_fd, double timeout_s, Clock::time_point start, ProcessResult& r) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  bool open_fd[2] = {true, true};
  while (open_fd[0] || open_fd[1]) {
    int wait_ms = -1;
    if (timeout_s > 0) {
      const double left = timeout_s - std::chrono::duration<double>(Clock::now() - start).count();
      if (left <= 0) {
        r.timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left * 1000) + 1;
    }
    for (int i = 0; i < 2; ++i) fds[i].fd = open_fd[i] ? (i ? err_fd : out_fd) : -1;
    const int n = poll(fds, 2, wait_ms);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i)
      if (open_fd[i] && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        open_fd[i] = drain(fds[i].fd, i ? r.err : r.out);
  }
}

}  // namespace

void exec_in_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   const std::string& cwd, int exec_error_fd) {
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  if (cwd.empty() || chdir(cwd.c_str()) == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
  }
  const int e = errno;
  (void)!write(exec_error_fd, &e, sizeof e);
  _exit(127);
}

int exec_error(int exec_error_read_fd) {
  int e = 0;
  const bool failed = read(exec_error_read_fd, &e, sizeof e) == sizeof e;
  close(exec_error_read_fd);
  return failed ? e : 0;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          double timeout_s, const std::string& cwd) {
  ProcessResult r;
  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) || pipe2(exec_pipe, O_CLOEXEC)) {
    r.err = std::string("cannot create pipes: ") + std::strerror(errno);
    return r;
  }
  install_forwarding();
  const pid_t parent = getpid();
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // own process group, so a timeout kills grandchildren too
    // Die with bench-all even when it is SIGKILLed, so no run outlives its time limit.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // bench-all died before the line above
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    exec_in_child(argv, env, cwd, exec_pipe[1]);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  if (pid > 0) {
    setpgid(pid, pid);  // also here, so the group exists before a signal can name it
    g_child_group = pid;
  }
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(exec_pipe[0]);
    r.err = std::string("cannot fork: ") + std::strerror(errno);
    return r;
  }
  const int exec_errno = exec_error(exec_pipe[0]);

  collect_output(pid, out_pipe[0], err_pipe[0], timeout_s, start, r);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child_group = 0;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (exec_errno != 0) {
    r.err = "cannot run " + valid_utf8(argv[0]) + ": " + std::strerror(exec_errno);
    return r;
  }
  r.started = true;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

std::string tail_lines(const std::string& text, int max_lines, size_t max_chars) {
  std::vector<std::string> lines;
  std::string cur;
  for (char ch : text) {
    if (ch == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else if (ch == '\r') {
      cur.clear();  // a carriage-return progress line keeps only its final state
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  const size_t first = lines.size() > static_cast<size_t>(max_lines) ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) out += (i > first ? "\n" : "") + lines[i];
  if (out.size() > max_chars) out = "..." + out.substr(out.size() - max_chars);
  return valid_utf8(out);
}

}  // namespace quant::harness
