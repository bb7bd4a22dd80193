#include "harness/util/progress.h"

#include <cmath>

namespace quant::harness {

std::string format_duration(double s) {
  if (s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

Progress::Progress(std::FILE* out, bool tty, int total, int already_done)
    : out_(out), tty_(tty), total_(total), done_(already_done) {
  if (!tty_ && total_ > 0)
    std::fprintf(out_, "bench-all: %d runs to do%s\n", total_ - done_,
                 done_ ? (" (" + std::to_string(done_) + " already in the journal)").c_str() : "");
}

void Progress::draw(const std::string& label, double eta_s) {
  const int width = 30;
  const double frac = total_ ? static_cast<double>(done_) / total_ : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar += std::string(width - filled, '.');
  std::string l = label.size() > 60 ? "..." + label.substr(label.size() - 57) : label;
  std::fprintf(out_, "\r\033[K[%s] %d/%d  ETA %s  %s", bar.c_str(), done_, total_, format_duration(eta_s).c_str(),
               l.c_str());
  std::fflush(out_);
}

void Progress::step(const std::string& label, double eta_s) {
  ++done_;
  if (tty_) {
    draw(label, eta_s);
    return;
  }
  // Plain lines: one per 10% (and the last), so CI logs stay short but show the sweep is alive.
  const int decile = total_ ? done_ * 10 / total_ : 10;
  if (decile != last_percent_line_ || done_ == total_) {
    last_percent_line_ = decile;
    std::fprintf(out_, "bench-all: %d/%d runs done, ETA %s (last: %s)\n", done_, total_,
                 format_duration(eta_s).c_str(), label.c_str());
    std::fflush(out_);
  }
}

void Progress::note(const std::string& line) {
  if (tty_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void Progress::finish() {
  if (tty_) std::fprintf(out_, "\n");
  std::fflush(out_);
}

}  // namespace quant::harness
