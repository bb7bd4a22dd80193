#version 450
// y[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight (y[t] += ... when accumulate: a post-norm feeding the
// residual stream), one workgroup per token row t. Rows are read and
// written as 4-float texels/vectors: offsets and strides are multiples of 4 floats, and the padding after
// n (in x and in weight) is zero, so it adds nothing to the sum and writes zeros.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool SHARED_REDUCE = false;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer weight;
layout(std430, binding = 2) buffer Y { vec4 y[]; };

layout(push_constant) uniform Push {
  uint n;
  uint x_off, x_stride;
  uint y_off, y_stride;
  float eps;
  uint accumulate;
} p;

shared float partial[gl_WorkGroupSize.x];

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const int xb = int((p.x_off + gl_WorkGroupID.x * p.x_stride) / 4);
  const uint yb = (p.y_off + gl_WorkGroupID.x * p.y_stride) / 4;
  const uint n4 = (p.n + 3) / 4;
  float ss = 0.0;
  for (uint i = lane; i < n4; i += gl_WorkGroupSize.x) {
    vec4 v = texelFetch(x, xb + int(i));
    ss += dot(v, v);
  }
  ss = subgroupAdd(ss);
  if (SHARED_REDUCE) {
    if (subgroupElect()) partial[gl_SubgroupID] = ss;
    barrier();
    ss = 0.0;
    for (uint g = 0; g < gl_NumSubgroups; ++g) ss += partial[g];
  }
  const float s = 1.0 / sqrt(ss / float(p.n) + p.eps);
  for (uint i = lane; i < n4; i += gl_WorkGroupSize.x) {
    const vec4 v = texelFetch(x, xb + int(i)) * s * texelFetch(weight, int(i));
    y[yb + i] = p.accumulate != 0 ? y[yb + i] + v : v;
  }
}
