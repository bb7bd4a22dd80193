// quant: command-line entry point. Parses options, runs one mode, maps errors to one line + exit code.
#include <cstdio>
#include <new>

#include "modes.h"
#include "options.h"
#include "quant/error.h"

int main(int argc, char** argv) {
  using namespace quant::cli;
  const Options o = parse_options(argc, argv);
  try {
    switch (o.mode) {
      case Mode::info: return run_info(o);
      case Mode::generate: return run_generate(o);
      case Mode::perplexity: return run_perplexity(o);
      case Mode::bench: return run_bench(o);
      case Mode::logits: return run_logits(o);
      case Mode::serve_bench: return run_serve_bench(o);
    }
  } catch (const quant::InputError& e) {
    std::fprintf(stderr, "quant: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "quant: error: out of memory (try a smaller -c)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant: internal error: %s\n", e.what());
    return 1;
  }
  return 1;
}
