#pragma once
// Row dot products, one per weight type. The SIMD versions are compiled for the build's target
// (AVX2/FMA when available); the *_ref versions are the scalar definitions the tests compare against.
#include <cstdint>

#include "quant/blocks.h"

namespace quant {

float dot_f32(const float* a, const float* b, int n);
float dot_f16_f32(const uint16_t* w, const float* x, int n);
float dot_bf16_f32(const uint16_t* w, const float* x, int n);
float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int n);
float dot_q4_0_q8_0(const BlockQ4_0* w, const BlockQ8_0* x, int n);

float dot_f32_ref(const float* a, const float* b, int n);
float dot_f16_f32_ref(const uint16_t* w, const float* x, int n);
float dot_bf16_f32_ref(const uint16_t* w, const float* x, int n);
float dot_q8_0_q8_0_ref(const BlockQ8_0* w, const BlockQ8_0* x, int n);
float dot_q4_0_q8_0_ref(const BlockQ4_0* w, const BlockQ8_0* x, int n);

// y += a * x
void axpy_f32(float a, const float* x, float* y, int n);

}  // namespace quant
