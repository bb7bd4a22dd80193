#pragma once
// One error type for every validated input: the message already names the file/flag and the problem.
#include <stdexcept>
#include <string>

namespace quant {

// Raised for bad user input (files, flags, values). The CLI prints what() on one line and exits non-zero.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& msg, int exit_code = 1)
      : std::runtime_error(msg), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// quant's exit status when the chosen backend cannot run what was asked (a weight type its kernels lack):
// a limitation of this build, which bench-all records as an unsupported cell rather than a failure.
inline constexpr int kExitUnsupported = 3;

}  // namespace quant
