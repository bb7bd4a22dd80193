// The avx512_vnni kernel set (compiled with its instruction-set flags, see engine/CMakeLists.txt).
#define QUANT_DOT_VNNI 2
#define QUANT_KERNEL_NAME "avx512_vnni"
#define QUANT_KERNEL_SET kernel_set_avx512_vnni
#include "kernels_x86.inc"
