// Which kernel sets this binary contains (x86 sets only on x86 builds; see engine/CMakeLists.txt).
#include "kernels.h"

#include "quant/cpu_features.h"

namespace quant {

const KernelSet* kernel_set(Isa isa) {
  switch (isa) {
    case Isa::scalar: return kernel_set_ref();
#ifdef QUANT_X86_KERNELS
    case Isa::avx2: return kernel_set_avx2();
    case Isa::avx_vnni: return kernel_set_avx_vnni();
    case Isa::avx512_vnni: return kernel_set_avx512_vnni();
#endif
    default: return nullptr;
  }
}

}  // namespace quant
