#pragma once
// A seeded, Haar-distributed random orthogonal matrix: Gram-Schmidt on the rows of a Gaussian matrix.
// Being uniformly random over all rotations, it maps every fixed input (a one-hot spike, a constant
// vector, a typical vector) to a uniformly random direction, so quantisation error is input-independent.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quant::kv {

class Rotation {
 public:
  Rotation(int dim, uint64_t seed);
  int dim() const { return dim_; }
  // y = R x
  void apply(const float* x, float* y) const;
  // x = R^T y (the inverse)
  void apply_inverse(const float* y, float* x) const;
  const float* row(int i) const { return &m_[static_cast<size_t>(i) * dim_]; }

 private:
  int dim_;
  std::vector<float> m_;  // row-major dim x dim
};

}  // namespace quant::kv
