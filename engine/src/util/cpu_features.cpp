#include "quant/cpu_features.h"
#include "util/x86_target.h"

#include <cstdint>
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define QUANT_X86 1
#endif
#if defined(__linux__) && defined(QUANT_X86)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "ops/kernels.h"

namespace quant {

namespace {

#ifdef QUANT_X86
// XGETBV through inline assembly, so this file needs no -mxsave.
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef QUANT_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.sse42 = c & (1u << 20);
  f.fma = c & (1u << 12);
  f.f16c = c & (1u << 29);
  f.avx = c & (1u << 28);
  const bool osxsave = c & (1u << 27);
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  f.os_ymm = (xcr0 & 0x6) == 0x6;                          // SSE, AVX
  f.os_zmm = f.os_ymm && (xcr0 & 0xe0) == 0xe0;            // opmask, ZMM_Hi256, Hi16_ZMM
  f.os_amx_xcr0 = (xcr0 & 0x60000) == 0x60000;             // XTILECFG (17), XTILEDATA (18)
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vnni = c & (1u << 11);
    f.amx_tile = d & (1u << 24);
    f.amx_int8 = d & (1u << 25);
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx_vnni = a & (1u << 4);
#endif
  return f;
}

bool cpu_can_run(Isa isa) {
  const CpuFeatures& f = cpu_features();
  const bool base = f.os_ymm && f.avx && f.avx2 && f.fma && f.f16c;
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return base;
    case Isa::avx_vnni: return base && f.avx_vnni;
    case Isa::avx512_vnni: return base && f.os_zmm && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
  }
  return false;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx_vnni: return "avx_vnni";
    case Isa::avx512_vnni: return "avx512_vnni";
  }
  return "unknown";
}

bool isa_usable(Isa isa) { return kernel_set(isa) != nullptr && cpu_can_run(isa); }

Isa selected_isa() {
  static const Isa chosen = [] {
    Isa best = Isa::scalar;
    for (Isa i : {Isa::avx2, Isa::avx_vnni, Isa::avx512_vnni})
      if (isa_usable(i)) best = i;
    // QUANT_ISA lowers the choice (tests and benchmarks compare kernel sets); it never raises it
    // above what the CPU can run, and an unknown name is ignored in favour of the detected best.
    if (const char* env = std::getenv("QUANT_ISA")) {
      for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx_vnni, Isa::avx512_vnni})
        if (isa_name(i) == env && isa_usable(i)) return i;
    }
    return best;
  }();
  return chosen;
}

bool avx2_selected() {
#ifdef QUANT_X86_TARGETS
  static const bool selected = selected_isa() != Isa::scalar;  // every x86 set includes AVX2, FMA and F16C
  return selected;
#else
  return false;
#endif
}

bool amx_usable() {
  const CpuFeatures& f = cpu_features();
  if (!(f.amx_tile && f.amx_int8 && f.os_amx_xcr0)) return false;
#if defined(__linux__) && defined(QUANT_X86)
  constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl code
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

std::string cpu_feature_summary() {
  const CpuFeatures& f = cpu_features();
  std::string cpu, os;
  auto add = [](std::string& s, bool on, const char* name) {
    if (on) s += (s.empty() ? "" : " ") + std::string(name);
  };
  add(cpu, f.avx2, "avx2");
  add(cpu, f.fma, "fma");
  add(cpu, f.f16c, "f16c");
  add(cpu, f.avx512f, "avx512f");
  add(cpu, f.avx512bw, "avx512bw");
  add(cpu, f.avx512vl, "avx512vl");
  add(cpu, f.avx512vnni, "avx512vnni");
  add(cpu, f.avx_vnni, "avxvnni");
  add(cpu, f.amx_tile, "amx_tile");
  add(cpu, f.amx_int8, "amx_int8");
  add(os, f.os_ymm, "ymm");
  add(os, f.os_zmm, "zmm");
  add(os, f.os_amx_xcr0, "amx");
  return std::string(isa_name(selected_isa())) + " (cpu: " + cpu + "; os: " + os + ")";
}

}  // namespace quant
