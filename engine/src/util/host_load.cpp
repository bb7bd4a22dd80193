#include "quant/host_load.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

namespace quant {

HostLoad read_host_load() {
  HostLoad h;
  h.n_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::ifstream f("/proc/loadavg");
  double l1, l5, l15;
  if (f >> l1 >> l5 >> l15) h.load_average = {l1, l5, l15};
  std::ifstream g("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  std::string gov;
  if (g >> gov) h.governor = gov;
  return h;
}

std::string high_load_warning(const HostLoad& h) {
  if (h.load_average.empty()) return "";
  const double l1 = h.load_average[0];
  if (l1 < std::max(1.0, 0.5 * h.n_cores)) return "";
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "load average %.2f over the last minute on %d cores: other work competes for the CPU, so these "
                "timings will be noisy", l1, h.n_cores);
  return buf;
}

}  // namespace quant
