// The avx2 kernel set (compiled with its instruction-set flags, see engine/CMakeLists.txt).
#define QUANT_DOT_VNNI 0
#define QUANT_KERNEL_NAME "avx2"
#define QUANT_KERNEL_SET kernel_set_avx2
#include "kernels_x86.inc"
