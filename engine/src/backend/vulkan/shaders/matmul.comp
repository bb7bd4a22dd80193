#version 450
// y[t][row] = dot(W[row], x[t])  (or += when accumulate is set: the residual add fused into the matmul)
// for every row of one weight part and every token t < n_tok. W may be several matrices stacked (Q, K, V):
// rows below end0, below end1 and the rest go to three output segments of y. With GATED, W holds gate and
// up rows interleaved and output row r = act(dot(gate_r, x)) * dot(up_r, x) (SiLU or GELU-tanh).
// One workgroup per ROWS output rows. Its invocations split a row into units of UNIT elements (a 32-element
// block for Q8_0/Q4_0) and their partial sums meet in a subgroup reduction. Tokens are taken TT at a
// time so each weight unit is read once per TT tokens. Compiled once per weight type (W_F32 ... W_Q4_0);
// vk_weights.h describes the repacked layouts read here. W, its scales and x are read as texel buffers;
// x rows are zero-padded to whole units (x_off and x_stride are multiples of 4).
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool SHARED_REDUCE = false;  // a workgroup may span several subgroups
layout(constant_id = 2) const uint TT = 1;                 // tokens per pass over a row
layout(constant_id = 3) const uint ROWS = 1;               // output rows per workgroup
layout(constant_id = 4) const uint GATED = 0;              // 0: plain rows; 1: SiLU-gated pairs; 2: GELU-gated
const uint WROWS = GATED != 0 ? 2 : 1;                     // weight rows per output row

layout(binding = 0) uniform usamplerBuffer w;      // 16-byte texels of repacked weights
layout(binding = 1) uniform samplerBuffer scale;   // one float per Q8_0/Q4_0 block
layout(binding = 2) uniform samplerBuffer x;       // 4 floats per texel
layout(std430, binding = 3) buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint rows;              // output rows of this weight part
  uint cols;              // elements per row (length of an x row)
  uint n_tok;
  uint x_off, x_stride;   // x[t][k] = x[x_off + t * x_stride + k] (floats)
  uint accumulate;        // 1: y += W x
  uint row0;              // output row of the part's first row
  uint end0, end1;        // output rows [0, end0) go to segment 0, [end0, end1) to 1, the rest to 2
  uint y_off[3], y_stride[3];  // segment s: y[t][r] = y[y_off[s] + t * y_stride[s] + r - segment start]
} p;

#if defined(W_F32)
#define UNIT 4
void load_unit(int u, inout vec4 v[UNIT / 4]) { v[0] = uintBitsToFloat(texelFetch(w, u)); }
#elif defined(W_F16)
#define UNIT 8
void load_unit(int u, inout vec4 v[UNIT / 4]) {
  uvec4 q = texelFetch(w, u);
  v[0] = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
  v[1] = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
}
#elif defined(W_BF16)
#define UNIT 8
vec2 bf16x2(uint b) { return vec2(uintBitsToFloat(b << 16), uintBitsToFloat(b & 0xffff0000u)); }
void load_unit(int u, inout vec4 v[UNIT / 4]) {
  uvec4 q = texelFetch(w, u);
  v[0] = vec4(bf16x2(q.x), bf16x2(q.y));
  v[1] = vec4(bf16x2(q.z), bf16x2(q.w));
}
#elif defined(W_Q8_0)
#define UNIT 32
// The 4 signed bytes of a word (byte 0 first); x = d * q.
vec4 i8x4(uint b) { return vec4(ivec4(uvec4(b) << uvec4(24, 16, 8, 0)) >> 24); }
void load_unit(int u, inout vec4 v[UNIT / 4]) {
  const float d = texelFetch(scale, u).r;
  uvec4 a = texelFetch(w, 2 * u), b = texelFetch(w, 2 * u + 1);
  v[0] = d * i8x4(a.x); v[1] = d * i8x4(a.y); v[2] = d * i8x4(a.z); v[3] = d * i8x4(a.w);
  v[4] = d * i8x4(b.x); v[5] = d * i8x4(b.y); v[6] = d * i8x4(b.z); v[7] = d * i8x4(b.w);
}
#elif defined(W_Q4_0)
#define UNIT 32
void load_unit(int u, inout vec4 v[UNIT / 4]) {  // byte i: element i in the low nibble, i + 16 in the high
  const float d = texelFetch(scale, u).r;
  uvec4 q = texelFetch(w, u);
  for (int j = 0; j < 4; ++j) {
    uvec4 b = (uvec4(q[j]) >> uvec4(0, 8, 16, 24)) & 0xffu;
    v[j] = d * (vec4(b & 0xfu) - 8.0);
    v[4 + j] = d * (vec4(b >> 4) - 8.0);
  }
}
#else
#error "define one of W_F32, W_F16, W_BF16, W_Q8_0, W_Q4_0"
#endif

shared float partial[WROWS * TT * gl_WorkGroupSize.x];

float gate_act(float g) {
  return GATED == 2 ? 0.5 * g * (1.0 + tanh(0.7978845608028654 * (g + 0.044715 * g * g * g)))
                    : g / (1.0 + exp(-g));
}

void store(uint row, uint t, float v) {
  const uint g = p.row0 + row;
  const uint s = g < p.end0 ? 0 : (g < p.end1 ? 1 : 2);
  const uint start = s == 0 ? 0 : (s == 1 ? p.end0 : p.end1);
  const uint o = p.y_off[s] + t * p.y_stride[s] + g - start;
  y[o] = p.accumulate != 0 ? y[o] + v : v;
}

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint units = (p.cols + UNIT - 1) / UNIT;  // rows are zero-padded to whole units
  const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  for (uint i = 0; i < ROWS; ++i) {
    const uint row = group * ROWS + i;
    if (row >= p.rows) return;  // the same for the whole workgroup
    for (uint t0 = 0; t0 < p.n_tok; t0 += TT) {
      float acc[WROWS * TT];  // [weight row of the pair][token]
      for (uint j = 0; j < WROWS * TT; ++j) acc[j] = 0.0;
      for (uint u = lane; u < units; u += gl_WorkGroupSize.x) {
        vec4 v[WROWS][UNIT / 4];
        for (uint h = 0; h < WROWS; ++h) load_unit(int((row * WROWS + h) * units + u), v[h]);
        for (uint j = 0; j < TT; ++j) {
          // Tokens past n_tok repeat the last one: computed, never stored.
          const int xt = int((p.x_off + min(t0 + j, p.n_tok - 1) * p.x_stride) / 4 + u * (UNIT / 4));
          for (uint h = 0; h < WROWS; ++h) {
            float s = 0.0;
            for (int e = 0; e < UNIT / 4; ++e) s += dot(v[h][e], texelFetch(x, xt + e));
            acc[h * TT + j] += s;
          }
        }
      }
      for (uint j = 0; j < WROWS * TT; ++j) acc[j] = subgroupAdd(acc[j]);
      if (SHARED_REDUCE) {
        if (subgroupElect())
          for (uint j = 0; j < WROWS * TT; ++j) partial[j * gl_NumSubgroups + gl_SubgroupID] = acc[j];
        barrier();
        if (lane == 0)
          for (uint j = 0; j < WROWS * TT; ++j) {
            float s = 0.0;
            for (uint g = 0; g < gl_NumSubgroups; ++g) s += partial[j * gl_NumSubgroups + g];
            acc[j] = s;
          }
        barrier();
      }
      if (lane == 0)
        for (uint j = 0; j < TT && t0 + j < p.n_tok; ++j)
          store(row, t0 + j, GATED != 0 ? gate_act(acc[j]) * acc[TT + j] : acc[j]);
    }
  }
}
