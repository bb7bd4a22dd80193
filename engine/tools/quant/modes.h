#pragma once
// One function per quant mode. Each returns the process exit code and prints JSON when o.json.
#include "options.h"

namespace quant::cli {

int run_info(const Options& o);
int run_generate(const Options& o);
int run_perplexity(const Options& o);
int run_bench(const Options& o);
int run_logits(const Options& o);
int run_serve_bench(const Options& o);  // mode_serve.cpp: timed slices on command (stdin/stdout)

}  // namespace quant::cli
