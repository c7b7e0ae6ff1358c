// The torch adapter of the measurement operator: forward values against the
// direct transform, the generic operator checks through the tensor functions,
// and both backward passes against finite differences in double (a gradcheck
// written out, LibTorch's C++ API has none). Also the other tensor operators
// of instruments/torch (the convolved likelihood's gridded operator, the dense
// DFT matrix) under the same checks.
#include "instruments/torch/nufft_operator.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <complex>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/gridded_operator.hpp"
#include "instruments/torch/convolved_likelihood.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "src/core/errors.hpp"
#include "tests/support/dense_operator.hpp"
#include "tests/support/operator_checks.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

struct Problem {
  ImageGrid grid;
  std::vector<double> u, v;
};

Problem tiny(int nx, int ny, std::size_t m, unsigned seed) {
  Problem p;
  p.grid.nx = nx;
  p.grid.ny = ny;
  p.grid.cell = 1e-6;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-0.45 / p.grid.cell, 0.45 / p.grid.cell);
  for (std::size_t k = 0; k < m; ++k) {
    p.u.push_back(d(rng));
    p.v.push_back(d(rng));
  }
  return p;
}

TEST(NufftOperatorTorch, ForwardMatchesTheDirectTransform) {
  auto p = tiny(12, 10, 40, 1);
  NufftOperator op(p.u, p.v, p.grid, 1e-10);
  torch::manual_seed(0);
  auto x = torch::randn({3, 10, 12}, torch::kDouble);
  auto z = op.apply(x);
  ASSERT_EQ(z.scalar_type(), torch::kComplexDouble);
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{3, 40}));
  for (int b = 0; b < 3; ++b) {
    auto xb = x[b].contiguous();
    std::vector<double> img(xb.data_ptr<double>(), xb.data_ptr<double>() + xb.numel());
    std::vector<cd> ref(40);
    dft_degrid(p.u, p.v, p.grid, img, ref, 1);
    auto zb = z[b].contiguous();
    std::vector<cd> got(reinterpret_cast<cd*>(zb.data_ptr<c10::complex<double>>()),
                        reinterpret_cast<cd*>(zb.data_ptr<c10::complex<double>>()) + 40);
    EXPECT_LT(relative_l2_error(got, ref), 1e-9);
  }
  // float32 in, complex64 out, close to the double result; [H, W] gives [M].
  auto zf = op.apply(x[0].to(torch::kFloat));
  ASSERT_EQ(zf.scalar_type(), torch::kComplexFloat);
  ASSERT_EQ(zf.dim(), 1);
  double rel = (zf.to(torch::kComplexDouble) - z[0]).abs().norm().item<double>() / z[0].abs().norm().item<double>();
  EXPECT_LT(rel, 1e-4);
}

TEST(NufftOperatorTorch, BackwardOfApplyMatchesFiniteDifferences) {
  auto p = tiny(6, 5, 17, 2);
  NufftOperator op(p.u, p.v, p.grid, 1e-8);
  torch::manual_seed(1);
  auto x = torch::randn({2, 5, 6}, torch::kDouble).requires_grad_(true);
  auto c = torch::randn({2, 17}, torch::kComplexDouble);
  // A real loss that uses both Re and Im of the output.
  auto loss_of = [&](const torch::Tensor& xx) {
    auto z = op.apply(xx);
    return (torch::real(z * c) + 0.3 * torch::imag(z * c).pow(2)).sum();
  };
  loss_of(x).backward();
  auto analytic = x.grad().clone();
  torch::NoGradGuard ng;
  auto xd = x.detach().clone();
  const double h = 1e-6;
  double max_err = 0, max_g = 0;
  for (int64_t i = 0; i < xd.numel(); ++i) {
    auto flat = xd.view({-1});
    double keep = flat[i].item<double>();
    flat[i] = keep + h;
    double lp = loss_of(xd).item<double>();
    flat[i] = keep - h;
    double lm = loss_of(xd).item<double>();
    flat[i] = keep;
    double numeric = (lp - lm) / (2 * h);
    max_err = std::max(max_err, std::abs(numeric - analytic.view({-1})[i].item<double>()));
    max_g = std::max(max_g, std::abs(numeric));
  }
  EXPECT_LT(max_err, 1e-6 * (1 + max_g));
}

TEST(NufftOperatorTorch, BackwardOfAdjointMatchesFiniteDifferences) {
  auto p = tiny(5, 6, 11, 3);
  NufftOperator op(p.u, p.v, p.grid, 1e-8);
  torch::manual_seed(2);
  auto y = torch::randn({2, 11}, torch::kComplexDouble).requires_grad_(true);
  auto g = torch::randn({2, 6, 5}, torch::kDouble);
  auto loss_of = [&](const torch::Tensor& yy) {
    auto x = op.adjoint(yy);
    return (x * g).sum() + 0.1 * x.pow(2).sum();
  };
  loss_of(y).backward();
  auto analytic = torch::view_as_real(y.grad().clone()).view({-1});  // [Re, Im] pairs
  torch::NoGradGuard ng;
  auto yd = y.detach().clone();
  auto parts = torch::view_as_real(yd).view({-1});
  const double h = 1e-6;
  double max_err = 0, max_g = 0;
  for (int64_t i = 0; i < parts.numel(); ++i) {
    double keep = parts[i].item<double>();
    parts[i] = keep + h;
    double lp = loss_of(yd).item<double>();
    parts[i] = keep - h;
    double lm = loss_of(yd).item<double>();
    parts[i] = keep;
    double numeric = (lp - lm) / (2 * h);  // ∂L/∂Re y or ∂L/∂Im y
    max_err = std::max(max_err, std::abs(numeric - analytic[i].item<double>()));
    max_g = std::max(max_g, std::abs(numeric));
  }
  EXPECT_LT(max_err, 1e-6 * (1 + max_g));
}

// The tensor functions as a LinearOperator on spans, so the generic operator
// checks run through the whole adapter (tensor in, tensor out).
template <class T>
class TensorFunctions final : public LinearOperator<T> {
 public:
  using Fn = std::function<torch::Tensor(const torch::Tensor&)>;
  TensorFunctions(Fn apply, Fn adjoint, OperatorShape shape, std::string name)
      : apply_(std::move(apply)), adjoint_(std::move(adjoint)), shape_(shape), name_(std::move(name)) {}
  void apply(std::span<const T> in, std::span<std::complex<T>> out) const override {
    auto x = torch::from_blob(const_cast<T*>(in.data()), {1, std::int64_t(shape_.height), std::int64_t(shape_.width)},
                              c10::CppTypeToScalarType<T>::value);
    auto z = apply_(x).contiguous();
    ASSERT_EQ(z.numel(), std::int64_t(out.size()));
    std::memcpy(out.data(), z.data_ptr(), out.size_bytes());
  }
  void adjoint(std::span<const std::complex<T>> in, std::span<T> out) const override {
    auto y = torch::from_blob(const_cast<std::complex<T>*>(in.data()), {1, std::int64_t(in.size())},
                              c10::CppTypeToScalarType<c10::complex<T>>::value);
    auto x = adjoint_(y).contiguous();
    ASSERT_EQ(x.numel(), std::int64_t(out.size()));
    std::memcpy(out.data(), x.data_ptr(), out.size_bytes());
  }
  OperatorShape shape() const override { return shape_; }
  std::string_view name() const override { return name_; }

 private:
  Fn apply_, adjoint_;
  OperatorShape shape_;
  std::string name_;
};

template <class T>
TensorFunctions<T> functions_of(const NufftOperator& op) {
  const auto& g = op.grid();
  return {[&op](const torch::Tensor& x) { return op.apply(x); },
          [&op](const torch::Tensor& y) { return op.adjoint(y); },
          {std::size_t(g.ny), std::size_t(g.nx), std::size_t(op.nvis())},
          "NufftOperator"};
}

TEST(NufftOperatorTorch, PassesTheOperatorChecksInBothPrecisions) {
  auto p = tiny(9, 8, 60, 4);
  NufftOperator op(p.u, p.v, p.grid, 1e-10);
  test::expect_linear_operator(functions_of<double>(op), 4);
  test::expect_matches_dft(functions_of<double>(op), p.u, p.v, p.grid, 1e-10);
  test::expect_linear_operator(functions_of<float>(op), 4);
  test::expect_matches_dft(functions_of<float>(op), p.u, p.v, p.grid, 1e-5);
}

// The gridded operator as the convolved likelihood applies it (LibTorch FFTs)
// is the LibTorch-free GriddedOperator, and passes the same checks.
TEST(ConvolvedGriddedLikelihood, ItsOperatorIsTheGriddedOperator) {
  for (auto [n, m] : {std::pair{8, 16}, {8, 12}, {6, 6}}) {
    ImageGrid image{n, n, 1e-6};
    auto vs = tiny(n, n, 20, 9);
    VisibilitySet vis{vs.u, vs.v, std::vector<cd>(vs.u.size(), cd(1, 0.5)), std::vector<double>(vs.u.size(), 2.0)};
    ConvolvedGriddedLikelihood lik(grid_visibilities(vis, ImageGrid{m, m, image.cell}), n, {}, torch::kFloat64);
    TensorFunctions<double> torch_op([&lik](const torch::Tensor& x) { return lik.apply(x).flatten(1); },
                                     [&lik, m](const torch::Tensor& y) { return lik.adjoint(y.view({-1, m, m})); },
                                     {std::size_t(n), std::size_t(n), std::size_t(m * m)}, "convolved-gridded");
    test::expect_linear_operator(torch_op, 5);
    GriddedOperator<double> op(image, m, m);
    auto a = test::dense_matrix(torch_op), b = test::dense_matrix<double>(op);
    EXPECT_LE(relative_l2_error(a, b), 1e-13) << n << " on " << m;
  }
}

// The dense DFT matrix of the dense likelihoods (dft_matrix) as a DenseOperator.
TEST(DftMatrix, PassesTheOperatorChecks) {
  auto p = tiny(6, 5, 25, 6);
  auto a = dft_matrix(p.u, p.v, p.grid).contiguous();
  const auto* pa = reinterpret_cast<const cd*>(a.data_ptr<c10::complex<double>>());
  test::DenseOperator<double> dense(std::vector<cd>(pa, pa + a.numel()), 5, 6);
  test::expect_linear_operator(dense, 6);
  test::expect_matches_dft(dense, p.u, p.v, p.grid, 1e-13);
}

TEST(NufftOperatorTorch, GraphsOutliveTheOperator) {
  auto p = tiny(8, 8, 30, 4);
  torch::Tensor x = torch::randn({1, 8, 8}, torch::kDouble).requires_grad_(true);
  torch::Tensor z;
  {
    NufftOperator op(p.u, p.v, p.grid, 1e-10);
    z = op.apply(x);
  }
  torch::real(z).sum().backward();  // the operator object is gone; its state is not
  EXPECT_TRUE(x.grad().defined());
}

TEST(NufftOperatorTorch, RejectsWrongShapesAndTypes) {
  auto p = tiny(4, 4, 5, 5);
  NufftOperator op(p.u, p.v, p.grid);
  EXPECT_THROW(op.apply(torch::zeros({2, 4, 5}, torch::kDouble)), UsageError);
  EXPECT_THROW(op.apply(torch::zeros({4, 4}, torch::kInt)), UsageError);
  EXPECT_THROW(op.adjoint(torch::zeros({2, 6}, torch::kComplexDouble)), UsageError);
  EXPECT_THROW(op.adjoint(torch::zeros({2, 5}, torch::kDouble)), UsageError);
}

}  // namespace
}  // namespace penumbra
