#pragma once
// Code for a wider x86 instruction set than the build's own flags, chosen at run time. On x86-64 (GCC or
// clang) every build compiles the AVX2 paths of the attention kernels, softmax, the rotation and SiLU in
// target regions, whatever its -march (native or a portable baseline); callers run them only after a
// run-time check (avx2_selected()), so a portable binary runs the same kernels as a native one.
//   QUANT_X86_TARGETS             the regions are compiled in
//   QUANT_AVX2_BEGIN / _END       a region whose functions (templates and lambdas too) may use AVX2+FMA+F16C
//   QUANT_AVX2_FN                 the same for one function declared outside a region
//   QUANT_TARGET_BEGIN(t) / _END  a region for another target string (VNNI kernels)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define QUANT_X86_TARGETS 1
#define QUANT_TARGET_PRAGMA(x) _Pragma(#x)
#define QUANT_AVX2_FN __attribute__((target("avx2,fma,f16c")))
#if defined(__clang__)
#define QUANT_TARGET_BEGIN(t) QUANT_TARGET_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define QUANT_TARGET_END QUANT_TARGET_PRAGMA(clang attribute pop)
#else
#define QUANT_TARGET_BEGIN(t) QUANT_TARGET_PRAGMA(GCC push_options) QUANT_TARGET_PRAGMA(GCC target(t))
#define QUANT_TARGET_END QUANT_TARGET_PRAGMA(GCC pop_options)
#endif
#define QUANT_AVX2_BEGIN QUANT_TARGET_BEGIN("avx2,fma,f16c")
#define QUANT_AVX2_END QUANT_TARGET_END
#endif

namespace quant {
// True when the AVX2 paths are compiled in, the CPU and OS can run them and QUANT_ISA does not ask for
// the scalar kernels (selected_isa() is not scalar). Computed once.
bool avx2_selected();
}  // namespace quant
