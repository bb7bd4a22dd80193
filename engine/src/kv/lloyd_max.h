#pragma once
// Lloyd-Max scalar quantisers: the 2^bits levels that minimise E[(x - level(x))^2] for a symmetric law.
// TurboQuant quantises each rotated coordinate of a unit vector with the levels of that coordinate's
// exact law, computed here (never typed in).
#include <vector>

namespace quant::kv {

struct Codebook {
  std::vector<double> levels;      // 2^bits reconstruction values, ascending, symmetric about 0
  std::vector<double> thresholds;  // 2^bits - 1 decision boundaries (midpoints of neighbouring levels)
  double mse = 0;                  // expected squared error per coordinate under the law
};

// Standard normal N(0, 1): the d -> infinity limit of a unit vector's coordinate times sqrt(d).
Codebook lloyd_max_gaussian(int bits);

// One coordinate of a uniformly random unit vector in R^dim (dim >= 3): density proportional to
// (1 - x^2)^((dim - 3) / 2) on [-1, 1], a shifted and scaled Beta((dim-1)/2, (dim-1)/2).
Codebook lloyd_max_sphere(int bits, int dim);

// lloyd_max_sphere, computed once per (bits, dim) and kept for the life of the process (thread-safe).
const Codebook& sphere_codebook(int bits, int dim);

}  // namespace quant::kv
