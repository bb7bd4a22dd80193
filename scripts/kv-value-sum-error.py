#!/usr/bin/env python3
"""Error of attention outputs when value sums are done in integers, on real KV vectors.

Reads the Qwen3.5-0.8B key/value dumps in ../shared/data/kv (format in ../shared/README.md). With no real
queries stored, every key serves as the query of its position (causal attention over the positions up to
it, logits q.k / sqrt(dim)). For each variant the output o = sum_i w_i v_i is compared with the exact one
(float64 weights and values): relative error sqrt(sum |o - o~|^2 / sum |o|^2) over every layer, head and
position. Variants:
  fp16       values rounded to fp16, float weights (today's default value type)
  q8_0       values in q8_0 blocks of 32 (fp16 scale d, int8 q), float weights
  q8_0+w8    q8_0 values, and per block the weights w_i * d_i rounded to 8 bits (0..255, one scale per block
             and head over the positions), so each sum is an exact integer sum of 8 x 8 bit products
  q8_0+w16   the same with 16-bit weights (0..32767), for 16 x 16 bit multiply-adds
Usage: scripts/kv-value-sum-error.py [KV_DIR]   (default ../shared/data/kv/qwen35-0.8b)
"""
import math
import os
import struct
import sys


def read_vectors(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, layer, heads, tokens, dim = struct.unpack_from("<4sIIII", data, 0)
    if magic != b"QVKT":
        sys.exit(f"{path}: not a QVKT file")
    flat = struct.unpack_from(f"<{heads * tokens * dim}f", data, 20)
    return [[list(flat[(h * tokens + t) * dim:(h * tokens + t + 1) * dim]) for t in range(tokens)] for h in range(heads)]


def fp16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def q8_0(v, block=32):
    """(scales per block, int8 codes) of one vector, llama.cpp's rounding."""
    scales, codes = [], []
    for b in range(0, len(v), block):
        amax = max(abs(x) for x in v[b:b + block])
        d = fp16(amax / 127) if amax else 0.0
        inv = 1 / d if d else 0.0
        scales.append(d)
        codes.extend(int(round(x * inv)) for x in v[b:b + block])
    return scales, codes


def softmax(logits):
    m = max(logits)
    e = [math.exp(x - m) for x in logits]
    s = sum(e)
    return [x / s for x in e]


def outputs(w, vals, variant, block=32):
    dim = len(vals[0])
    if variant == "exact":
        return [sum(w[i] * vals[i][j] for i in range(len(w))) for j in range(dim)]
    if variant == "fp16":
        return [sum(w[i] * fp16(vals[i][j]) for i in range(len(w))) for j in range(dim)]
    q = [q8_0(v, block) for v in vals]
    out = [0.0] * dim
    for b in range(dim // block):
        u = [w[i] * q[i][0][b] for i in range(len(w))]
        if variant == "q8_0":
            m, step = u, 1.0
        else:
            top = 255 if variant == "q8_0+w8" else 32767
            step = max(u) / top if max(u) > 0 else 1.0
            m = [round(x / step) for x in u]
        for j in range(b * block, (b + 1) * block):
            out[j] = step * sum(m[i] * q[i][1][j] for i in range(len(w)))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../shared/data/kv/qwen35-0.8b")
    variants = ["fp16", "q8_0", "q8_0+w8", "q8_0+w16"]
    err = {v: 0.0 for v in variants}
    energy = 0.0
    for layer in (3, 7, 11, 15):
        keys = read_vectors(os.path.join(root, f"layer{layer}_keys.bin"))
        values = read_vectors(os.path.join(root, f"layer{layer}_values.bin"))
        for h in range(len(keys)):
            dim = len(keys[h][0])
            for t in range(len(keys[h])):
                q = keys[h][t]
                logits = [sum(a * b for a, b in zip(q, keys[h][i])) / math.sqrt(dim) for i in range(t + 1)]
                w = softmax(logits)
                exact = outputs(w, values[h][:t + 1], "exact")
                energy += sum(x * x for x in exact)
                for v in variants:
                    o = outputs(w, values[h][:t + 1], v)
                    err[v] += sum((a - b) ** 2 for a, b in zip(o, exact))
    for v in variants:
        print(f"{v:10s} relative error of attention outputs {math.sqrt(err[v] / energy):.3e}")


if __name__ == "__main__":
    main()
