#pragma once
// Sweep progress: a bar with an ETA redrawn in place on a terminal, plain lines otherwise (CI logs).
#include <cstdio>
#include <string>

namespace quant::harness {

class Progress {
 public:
  Progress(std::FILE* out, bool tty, int total, int already_done);
  // One run finished after `seconds`; `eta_s` < 0 when unknown.
  void step(const std::string& label, double eta_s);
  // A message that must stay visible (failures); on a terminal it clears the bar first.
  void note(const std::string& line);
  void finish();
  // Runs that will not happen after all (a failed cell's remaining repetitions).
  void drop(int runs) { total_ -= runs; }

 private:
  void draw(const std::string& label, double eta_s);
  std::FILE* out_;
  bool tty_;
  int total_, done_;
  int last_percent_line_ = -1;
};

std::string format_duration(double seconds);  // "1m05s", "42s"

}  // namespace quant::harness
