#pragma once
// What else the machine was doing when a measurement started (recorded beside the figures, as Google
// Benchmark and pyperf do): load averages and the CPU frequency governor.
#include <optional>
#include <string>
#include <vector>

namespace quant {

struct HostLoad {
  std::vector<double> load_average;   // 1, 5 and 15 minutes; empty where /proc/loadavg is unreadable
  std::optional<std::string> governor;  // cpu0's cpufreq scaling governor, where the kernel exposes it
  int n_cores = 1;
};

HostLoad read_host_load();

// The warning line for a loaded machine, or "" (1-minute load at or above half the cores, and at least 1).
std::string high_load_warning(const HostLoad& h);

}  // namespace quant
