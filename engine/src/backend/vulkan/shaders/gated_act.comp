#version 450
// a[i] = act(a[i]) * b[i] (the gated FFN's activation) for 4-float groups i < n4, grid-stride over any n4.
// act = silu(x) = x / (1 + e^-x), or (GELU) the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool GELU = false;

layout(binding = 0) uniform samplerBuffer a_in;
layout(binding = 1) uniform samplerBuffer b;
layout(std430, binding = 2) writeonly buffer A { vec4 a[]; };

layout(push_constant) uniform Push { uint n4; } p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n4; i += stride) {
    const vec4 g = texelFetch(a_in, int(i));
    const vec4 act = GELU ? 0.5 * g * (1.0 + tanh(0.7978845608028654 * (g + 0.044715 * g * g * g)))
                          : g / (1.0 + exp(-g));
    a[i] = act * texelFetch(b, int(i));
  }
}
