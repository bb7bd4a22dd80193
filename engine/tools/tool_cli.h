#pragma once
// The command-line habits of the engine's small tools (quant-ab, quant-bandwidth, quant-synth): a bad
// command line is one line "<tool>: error: <message>" on stderr and exit status 2; --help and --version
// print and exit 0.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace quant::tool {

[[noreturn]] inline void usage_error(const char* tool, const std::string& msg) {
  std::fprintf(stderr, "%s: error: %s\n", tool, msg.c_str());
  std::exit(2);
}

// app.parse(argc, argv), exiting on --help, --version and bad flags.
inline void parse_or_exit(CLI::App& app, int argc, char** argv, const char* tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    usage_error(tool, e.what());
  }
}

}  // namespace quant::tool
