// bench-all killed (issue 22, item 4 and the kill-and-resume check): quant never outlives bench-all, and
// a sweep SIGKILLed at random points, then resumed, ends with exactly the cells and runs of a sweep that
// was never interrupted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "harness/util/process.h"
#include "harness/store/results.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// bench-all as its own process group (so the whole group can be killed), output to `log`.
pid_t start_bench_all(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<std::string> all = {BENCH_ALL_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Alive and not a zombie (a killed orphan stays a zombie until init reaps it).
bool running(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' && line[paren + 2] != 'X';
}

std::vector<pid_t> pids_in(const std::string& file) {
  std::vector<pid_t> out;
  std::ifstream f(file);
  for (pid_t p; f >> p;) out.push_back(p);
  return out;
}

bool wait_for(const std::function<bool()>& ok, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok();
}

std::vector<std::string> run_args(const test::FakeProject& p, const std::string& out) {
  return {"--root", p.root, "run", "--suite", p.suite_file, "--variants", p.variants_file, "--binary",
          std::string("cpu=") + FAKE_QUANT_BIN, "--out", out, "--no-plots"};
}

class KilledBenchAll : public ::testing::TestWithParam<int> {};

TEST_P(KilledBenchAll, TakesItsQuantAlong) {
  const int sig = GetParam();
  const auto p = test::make_fake_project("orphan-" + std::to_string(sig), {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv slow("FAKE_QUANT_SLEEP_S", "30");
  test::ScopedEnv pid_file("FAKE_QUANT_PID_FILE", p.root + "/pids");
  const pid_t bench = start_bench_all(run_args(p, p.root + "/out"), p.root + "/log");
  ASSERT_TRUE(wait_for([&] { return !pids_in(p.root + "/pids").empty(); }, 30)) << test::read_file(p.root + "/log");
  const pid_t quant = pids_in(p.root + "/pids")[0];
  ASSERT_TRUE(running(quant));
  if (sig == SIGKILL) kill(-bench, SIGKILL);  // the whole group, as a CI runner's cancel does
  else kill(bench, sig);
  wait_exit(bench);
  EXPECT_TRUE(wait_for([&] { return !running(quant); }, 5)) << "quant " << quant << " outlived bench-all (signal " << sig << ")";
  if (running(quant)) kill(quant, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(Signals, KilledBenchAll, ::testing::Values(SIGKILL, SIGTERM, SIGINT));

TEST(ConcurrentSweeps, ASecondRunOrResumeOnTheFolderIsAOneLineError) {
  const auto p = test::make_fake_project("concurrent", {{"kv", {"fp32"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv slow("FAKE_QUANT_SLEEP_S", "30");
  test::ScopedEnv pid_file("FAKE_QUANT_PID_FILE", p.root + "/pids");
  const std::string out = p.root + "/out";
  const pid_t first = start_bench_all(run_args(p, out), p.root + "/log");
  ASSERT_TRUE(wait_for([&] { return !pids_in(p.root + "/pids").empty(); }, 30)) << test::read_file(p.root + "/log");
  const ProcessResult resume = run_process({BENCH_ALL_BIN, "--root", p.root, "run", "--resume", out, "--no-plots"}, {}, 60);
  const ProcessResult again = run_process([&] {
    auto a = run_args(p, out);
    a.insert(a.begin(), BENCH_ALL_BIN);
    return a;
  }(), {}, 60);
  kill(-first, SIGKILL);
  wait_exit(first);
  const std::string refused = "bench-all: error: " + out + ": another bench-all is running a sweep in this folder; wait for it to end\n";
  EXPECT_EQ(resume.exit_code, 1);
  ASSERT_GE(resume.err.size(), refused.size());
  EXPECT_EQ(resume.err.substr(resume.err.size() - refused.size()), refused) << resume.err;
  EXPECT_EQ(again.exit_code, 1);  // its journal exists: "holds a sweep already (continue it with --resume)"
  EXPECT_NE(again.err.find(out + ": holds a sweep already"), std::string::npos) << again.err;
}

// Cell ids with their status and number of runs: what an uninterrupted sweep and a resumed one must share.
std::map<std::string, std::pair<std::string, size_t>> shape(const Results& r) {
  std::map<std::string, std::pair<std::string, size_t>> m;
  for (const auto& c : r.cells) m[c.cell.id] = {c.status, c.runs.size()};
  return m;
}

TEST(KillAndResume, TwentyRandomKillsThenResumeGiveTheUninterruptedSweep) {
  const auto p = test::make_fake_project("kill-resume", {{"kv", {"fp32", "q8_0"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv slow("FAKE_QUANT_SLEEP_S", "0.01");
  test::ScopedEnv pid_file("FAKE_QUANT_PID_FILE", p.root + "/pids");
  const std::string whole = p.root + "/whole", killed = p.root + "/killed";
  ASSERT_EQ(wait_exit(start_bench_all(run_args(p, whole), p.root + "/log")), 0) << test::read_file(p.root + "/log");
  const auto expected = shape(load_results(whole + "/results.json"));

  std::mt19937 rng(22);
  std::uniform_int_distribution<int> delay_ms(0, 250);
  int kills = 0;
  for (int attempt = 0; attempt < 200 && kills < 20; ++attempt) {
    const bool started = fs::exists(killed + "/journal.jsonl");
    const pid_t bench = start_bench_all(started ? std::vector<std::string>{"--root", p.root, "run", "--resume", killed, "--no-plots"}
                                                : run_args(p, killed),
                                        p.root + "/log");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    int status = 0;
    if (waitpid(bench, &status, WNOHANG) == bench) {  // it finished before the kill: start the sweep over
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << test::read_file(p.root + "/log");
      EXPECT_EQ(shape(load_results(killed + "/results.json")), expected);
      fs::remove_all(killed);
      continue;
    }
    kill(-bench, SIGKILL);
    wait_exit(bench);
    ++kills;
  }
  ASSERT_EQ(kills, 20);
  if (!fs::exists(killed + "/journal.jsonl")) {
    ASSERT_EQ(wait_exit(start_bench_all(run_args(p, killed), p.root + "/log")), 0) << test::read_file(p.root + "/log");
  } else {
    const int code = wait_exit(start_bench_all({"--root", p.root, "run", "--resume", killed, "--no-plots"}, p.root + "/log"));
    ASSERT_EQ(code, 0) << test::read_file(p.root + "/log");
  }
  EXPECT_EQ(shape(load_results(killed + "/results.json")), expected);
  for (const auto& f : fs::directory_iterator(killed)) EXPECT_NE(f.path().extension(), ".tmp") << f.path();
  for (pid_t q : pids_in(p.root + "/pids")) EXPECT_TRUE(wait_for([&] { return !running(q); }, 5)) << "orphan quant " << q;
}

}  // namespace
}  // namespace quant::harness
