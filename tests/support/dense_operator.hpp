#pragma once
// A dense complex matrix as a LinearOperator: tiny problems where A is written
// out entry by entry (tests, oracles of the oracles). Row-major
// [outputs][height·width]; sums accumulate in double.
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <span>
#include <stdexcept>
#include <vector>

#include "instruments/linear_operator.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra::test {

template <class T>
class DenseOperator final : public LinearOperator<T> {
 public:
  DenseOperator(std::vector<std::complex<double>> matrix, std::size_t height, std::size_t width)
      : a_(std::move(matrix)), h_(height), w_(width), m_(height * width ? a_.size() / (height * width) : 0) {
    if (height * width == 0 || m_ * height * width != a_.size())
      throw std::invalid_argument("DenseOperator: the matrix is not [m][height·width]");
  }

  void apply(std::span<const T> in, std::span<std::complex<T>> out) const override {
    check(in.size(), out.size());
    const std::size_t n = h_ * w_;
    for (std::size_t k = 0; k < m_; ++k) {
      std::complex<double> acc = 0;
      for (std::size_t j = 0; j < n; ++j) acc += a_[k * n + j] * double(in[j]);
      out[k] = std::complex<T>(acc);
    }
  }
  void adjoint(std::span<const std::complex<T>> in, std::span<T> out) const override {
    check(out.size(), in.size());
    const std::size_t n = h_ * w_;
    for (std::size_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::size_t k = 0; k < m_; ++k) acc += (std::conj(a_[k * n + j]) * std::complex<double>(in[k])).real();
      out[j] = static_cast<T>(acc);
    }
  }
  OperatorShape shape() const override { return {h_, w_, m_}; }
  std::string_view name() const override { return "dense"; }

 private:
  void check(std::size_t image, std::size_t outputs) const {
    if (image != h_ * w_ || outputs != m_) throw std::invalid_argument("DenseOperator: wrong sizes");
  }
  std::vector<std::complex<double>> a_;
  std::size_t h_, w_, m_;
};

// The matrix of `op`, one column per unit image: row-major [outputs][inputs].
template <class T>
std::vector<std::complex<double>> dense_matrix(const LinearOperator<T>& op) {
  const std::size_t n = op.input_size(), m = op.output_size();
  std::vector<std::complex<double>> a(m * n);
  std::vector<T> e(n, T(0));
  std::vector<std::complex<T>> col(m);
  for (std::size_t j = 0; j < n; ++j) {
    e[j] = T(1);
    op.apply(e, col);
    e[j] = T(0);
    for (std::size_t k = 0; k < m; ++k) a[k * n + j] = col[k];
  }
  return a;
}

// A_kj = exp(−2πi (u_k l_j + v_k m_j)) written out entry by entry, the phase
// reduced modulo one turn (instruments/dft.hpp conventions), for a DenseOperator.
inline std::vector<std::complex<double>> dense_dft_matrix(const std::vector<double>& u, const std::vector<double>& v,
                                                          const ImageGrid& grid) {
  std::vector<std::complex<double>> a;
  a.reserve(u.size() * grid.size());
  for (std::size_t k = 0; k < u.size(); ++k)
    for (int y = 0; y < grid.ny; ++y)
      for (int x = 0; x < grid.nx; ++x) {
        double turns = u[k] * grid.l(x) + v[k] * grid.m(y);
        turns -= std::round(turns);
        a.push_back(std::polar(1.0, -2 * std::numbers::pi * turns));
      }
  return a;
}

}  // namespace penumbra::test
