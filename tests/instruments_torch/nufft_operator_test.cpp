// The torch adapter of the measurement operator: forward values against the
// direct transform, and both backward passes against finite differences in
// double (a gradcheck written out, LibTorch's C++ API has none).
#include "instruments/torch/nufft_operator.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <complex>
#include <random>
#include <vector>

#include "instruments/dft.hpp"
#include "src/core/errors.hpp"

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

TEST(NufftOperatorTorch, AdjointIsTheAdjointAndGraphsOutliveTheOperator) {
  auto p = tiny(8, 8, 30, 4);
  torch::Tensor x = torch::randn({1, 8, 8}, torch::kDouble).requires_grad_(true);
  torch::Tensor z;
  torch::Tensor y = torch::randn({1, 30}, torch::kComplexDouble);
  double lhs, rhs;
  {
    NufftOperator op(p.u, p.v, p.grid, 1e-10);
    z = op.apply(x);
    // ⟨A x, y⟩ (real part) = ⟨x, Re Aᴴ y⟩.
    lhs = torch::real((z * torch::conj(y)).sum()).item<double>();
    rhs = (x * op.adjoint(y)).sum().item<double>();
  }
  EXPECT_NEAR(lhs, rhs, 1e-10 * (std::abs(lhs) + 1));
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
