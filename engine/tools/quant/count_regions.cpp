#include "count_regions.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define QUANT_HAVE_CALLGRIND 1
#else
#define QUANT_HAVE_CALLGRIND 0
#endif

namespace quant::cli {

bool counting_regions() {
#if QUANT_HAVE_CALLGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

std::function<void(const char*, bool, bool)> count_region_hook() {
  if (!counting_regions()) return {};
#if QUANT_HAVE_CALLGRIND
  return [instrumenting = false](const char* part, bool begin, bool measured) mutable {
    if (begin && !instrumenting) {
      CALLGRIND_START_INSTRUMENTATION;
      instrumenting = true;
    }
    if (!measured) return;
    CALLGRIND_TOGGLE_COLLECT;  // on at the start, off at the end
    if (!begin) CALLGRIND_DUMP_STATS_AT(part);
  };
#else
  return {};
#endif
}

}  // namespace quant::cli
