#pragma once
// What this CPU and OS let the kernels use, detected at run time: an instruction set counts only when
// CPUID reports it AND the OS saves its register state (XGETBV), and for AMX also when the kernel grants
// the tile-data permission (arch_prctl). /proc/cpuinfo flags alone are not enough: a VM may list AMX
// while a tile instruction traps.
#include <string>
#include <string_view>

namespace quant {

struct CpuFeatures {
  bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
  bool avx_vnni = false;             // VEX-encoded VNNI (Alder Lake, Zen 5)
  bool amx_tile = false, amx_int8 = false;
  bool os_ymm = false;               // XCR0 has SSE + AVX state
  bool os_zmm = false;               // XCR0 has opmask + ZMM state
  bool os_amx_xcr0 = false;          // XCR0 has XTILECFG + XTILEDATA
};

// Raw detection (CPUID + XGETBV), computed once.
const CpuFeatures& cpu_features();

// Kernel sets, from slowest to fastest. All x86 sets share the AVX2 base (FMA, F16C).
enum class Isa { scalar, avx2, avx_vnni, avx512_vnni };
std::string_view isa_name(Isa isa);
// True when the set is compiled into this binary and usable on this CPU and OS.
bool isa_usable(Isa isa);
// The fastest usable set, unless QUANT_ISA names a (usable) slower one.
Isa selected_isa();

// Asks the kernel for permission to use AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM); true when granted.
// No kernel uses AMX yet; this exists so that reports can say whether it would be usable.
bool amx_usable();

// One line for reports, e.g. "avx2 (cpu: avx2 fma f16c; os: ymm)".
std::string cpu_feature_summary();

}  // namespace quant
