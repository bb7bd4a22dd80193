#version 450
// a[i] = silu(a[i]) * b[i] (the gated FFN's activation) for 4-float groups i < n4, grid-stride over any n4.
layout(local_size_x_id = 0) in;

layout(binding = 0) uniform samplerBuffer a_in;
layout(binding = 1) uniform samplerBuffer b;
layout(std430, binding = 2) writeonly buffer A { vec4 a[]; };

layout(push_constant) uniform Push { uint n4; } p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n4; i += stride) {
    const vec4 g = texelFetch(a_in, int(i));
    a[i] = g / (1.0 + exp(-g)) * texelFetch(b, int(i));
  }
}
