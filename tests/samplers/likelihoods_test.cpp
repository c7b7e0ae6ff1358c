// The likelihoods the samplers use: the gridded operator against the direct
// Fourier transform, its adjoint, the derived per-cell blocks of A Aᵀ against
// the operator itself (padded grids with pad factors 2 and 1.5), the σ = 0
// scores against finite differences of the energies, and the convolved dense
// likelihood against its definition.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "instruments/dft.hpp"
#include "instruments/torch/convolved_likelihood.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "instruments/torch/nufft_operator.hpp"
#include "samplers/posterior.hpp"
#include "src/core/errors.hpp"

namespace penumbra {
namespace {

auto lf64() { return torch::TensorOptions().dtype(torch::kFloat64); }

VisibilitySet random_vis(const ImageGrid& grid, int n, double reach, std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  VisibilitySet vs;
  for (int k = 0; k < n; ++k) {
    vs.u.push_back((2 * torch::rand({1}, lf64()).item<double>() - 1) * reach * grid.max_uv());
    vs.v.push_back((2 * torch::rand({1}, lf64()).item<double>() - 1) * reach * grid.max_uv());
    vs.vis.push_back({torch::randn({1}, lf64()).item<double>(), torch::randn({1}, lf64()).item<double>()});
    vs.weight.push_back(0.5 + torch::rand({1}, lf64()).item<double>());
  }
  return vs;
}

// The gridded operator's adjointness and its agreement with the DFT on the cell
// centres are the generic operator checks (tests/instruments: GriddedOperator,
// tests/instruments_torch: ConvolvedGriddedLikelihood.ItsOperatorIsTheGriddedOperator).

class PaddedGrid : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(PaddedGrid, DiagonalBlocksOfAATMatchTheOperator) {
  auto [n, m] = GetParam();
  ImageGrid grid{n, n, 1e-6};
  auto vs = random_vis(grid, 20, 0.9, 2);
  auto g = grid_visibilities(vs, ImageGrid{m, m, grid.cell});
  ConvolvedGriddedLikelihood lik(g, n, {}, torch::kFloat64);
  // The 2×2 block of A Aᵀ at each cell, from the operator's columns.
  int npix = n * n;
  auto cols = lik.apply(torch::eye(npix, lf64()).view({npix, n, n}));  // [npix, m, m]
  auto re = torch::real(cols), im = torch::imag(cols);
  auto blocks = lik.aat_blocks();
  EXPECT_LT((re.pow(2).sum(0) - blocks[0]).abs().max().item<double>(), 1e-9);
  EXPECT_LT((im.pow(2).sum(0) - blocks[1]).abs().max().item<double>(), 1e-9);
  EXPECT_LT(((re * im).sum(0) - blocks[2]).abs().max().item<double>(), 1e-9);
  if (m == 2 * n) {
    // Pad factor 2: Re and Im variances are n²/2 except on the four cells k ≡ 0 mod N.
    EXPECT_NEAR(blocks[0][1][3].item<double>(), npix / 2.0, 1e-9);
    EXPECT_NEAR(blocks[0][0][0].item<double>(), npix, 1e-9);
    EXPECT_NEAR(blocks[1][0][n].item<double>(), 0.0, 1e-9);
  } else if (m == n) {
    // No padding: the orthonormal-DFT picture, Re/Im variance n/2, DC real with variance n.
    EXPECT_NEAR(blocks[0][1][2].item<double>(), npix / 2.0, 1e-9);
    EXPECT_NEAR(blocks[0][0][0].item<double>(), npix, 1e-9);
    EXPECT_NEAR(blocks[1][0][0].item<double>(), 0.0, 1e-9);
    EXPECT_LT(blocks[2].abs().max().item<double>(), 1e-9);
  } else {
    // Other pads: the blocks genuinely differ from n²/2 and Re/Im correlate.
    EXPECT_GT((blocks[0] - npix / 2.0).abs().max().item<double>(), 0.5);
    EXPECT_GT(blocks[2].abs().max().item<double>(), 0.5);
  }
}

INSTANTIATE_TEST_SUITE_P(Pads, PaddedGrid, ::testing::Values(std::make_pair(8, 16), std::make_pair(8, 12),
                                                             std::make_pair(6, 6)));

// Random visibilities on an n×n image gridded to m×m, with the units both convolved-likelihood tests use.
constexpr PixelUnits kUnits{0.3, 0.05};
GriddedVisibilities gridded_random_vis(int n, int m, int nvis, std::uint64_t seed) {
  ImageGrid grid{n, n, 1e-6};
  return grid_visibilities(random_vis(grid, nvis, 0.8, seed), ImageGrid{m, m, grid.cell});
}

// The score at σ > 0 is Aᵀ (per-cell 2×2 solve of (v I + σ² C_k) g = r) on the
// full M×M grid, written out here cell by cell with the public operator; the
// class computes it on the half spectrum. Even and odd grids, per-chain σ.
TEST(ConvolvedGriddedLikelihood, ScoreAtEveryNoiseLevelIsThePerCellSolve) {
  for (auto [n, m] : {std::make_pair(6, 12), std::make_pair(8, 16), std::make_pair(5, 9)}) {
    auto g = gridded_random_vis(n, m, 30, 7);
    const PixelUnits units = kUnits;
    ConvolvedGriddedLikelihood lik(g, n, units, torch::kFloat64);
    auto x = torch::randn({3, n, n}, lf64());
    for (auto sigma : {torch::tensor({0.0, 0.7, 4.0}, lf64()), torch::full({3}, 0.2, lf64())}) {
      auto r = -lik.apply(x * units.scale + units.offset);  // −A x; the data added per cell below
      auto blocks = lik.aat_blocks();
      auto gr = torch::zeros({3, m, m}, torch::kComplexDouble);
      std::vector<double> energy(3, 0.0);  // ½ Σ f_c (r_re² + r_im²)/v, Re only on self-conjugate cells
      for (int b = 0; b < 3; ++b) {
        double s2 = std::pow(sigma[b].item<double>() * units.scale, 2);
        for (int ky = 0; ky < m; ++ky)
          for (int kx = 0; kx < m; ++kx) {
            auto c = g.index(ky, kx);
            if (!(g.weight[c] > 0)) continue;
            auto rk = r[b][ky][kx].item<c10::complex<double>>();
            double rre = g.mean[c].real() + rk.real(), rim = g.mean[c].imag() + rk.imag();
            double a = g.variance[c] + s2 * blocks[0][ky][kx].item<double>();
            double bb = g.variance[c] + s2 * blocks[1][ky][kx].item<double>();
            double cc = s2 * blocks[2][ky][kx].item<double>();
            double det = a * bb - cc * cc;
            c10::complex<double> gk = g.self_conjugate(ky, kx)
                                          ? c10::complex<double>(rre / a, 0.0)
                                          : c10::complex<double>(0.5 * (bb * rre - cc * rim) / det,
                                                                 0.5 * (a * rim - cc * rre) / det);
            gr[b][ky][kx] = gk;
            bool self = g.self_conjugate(ky, kx);
            energy[b] += 0.5 * (self ? rre * rre : 0.5 * (rre * rre + rim * rim)) / g.variance[c];
          }
      }
      auto want = lik.adjoint(gr) * units.scale;
      auto got = lik.score(x, sigma);
      EXPECT_LT((got - want).abs().max().item<double>(), 1e-10 * want.abs().max().item<double>())
          << "n " << n << " m " << m << " sigma " << sigma;
      auto e = lik.energy(x);
      for (int b = 0; b < 3; ++b) EXPECT_NEAR(e[b].item<double>(), energy[b], 1e-10 * energy[b]) << n << " " << m;
    }
  }
}

TEST(ConvolvedGriddedLikelihood, SigmaZeroScoreIsMinusEnergyGradientAndUnitsApply) {
  int n = 6;
  auto g = gridded_random_vis(n, 12, 25, 3);
  ConvolvedGriddedLikelihood lik(g, n, kUnits, torch::kFloat64);
  auto x = torch::randn({1, n, n}, lf64());
  auto s = lik.score(x, torch::zeros({1}, lf64()));
  auto fd = torch::zeros_like(x);
  double h = 1e-6;
  for (int j = 0; j < n * n; ++j) {
    auto xp = x.clone(), xm = x.clone();
    xp.flatten()[j] += h;
    xm.flatten()[j] -= h;
    fd.flatten()[j] = -(lik.energy(xp) - lik.energy(xm)).item<double>() / (2 * h);
  }
  EXPECT_LT((s - fd).abs().max().item<double>(), 1e-6 * fd.abs().max().item<double>());
  // A larger σ flattens the likelihood: the score shrinks.
  auto s_big = lik.score(x, torch::full({1}, 10.0, lf64()));
  EXPECT_LT(s_big.norm().item<double>(), 0.1 * s.norm().item<double>());
  // Non-finite gridded data are refused.
  auto bad = g;
  for (std::size_t c = 0; c < bad.weight.size(); ++c)
    if (bad.weight[c] > 0) {
      bad.mean[c] = {NAN, 0};
      break;
    }
  EXPECT_THROW(ConvolvedGriddedLikelihood(bad, n), DataError);
  EXPECT_THROW(ConvolvedGriddedLikelihood(g, 7), UsageError);  // odd padding difference
}

// The circulant approximation of the exact likelihood's Hessian (the CG
// preconditioner of exact draws) is exact when every visibility sits on a cell of
// the padded grid: H x = s(0) − s(x) against crop(ifft2(λ · fft2(pad x))). Checks the
// axis and sign conventions (u runs against x) and the normalisation.
TEST(NufftLikelihood, CirculantHessianIsExactForVisibilitiesOnGridCells) {
  const int n = 12, pad = 24;
  ImageGrid grid{n, n, 1e-6};
  torch::manual_seed(31);
  VisibilitySet vs;
  for (int k = 0; k < 40; ++k) {
    auto a = torch::randint(-10, 11, {2}, lf64());
    vs.u.push_back(a[0].item<double>() / (grid.cell * pad));
    vs.v.push_back(a[1].item<double>() / (grid.cell * pad));
    vs.vis.push_back({0.3, -0.1});
    vs.weight.push_back(0.5 + torch::rand({1}, lf64()).item<double>());
  }
  auto op = std::make_shared<NufftOperator>(vs.u, vs.v, grid, 1e-10, 1);
  NufftLikelihood lik(op, vs, PixelUnits{2.0, 0.1});
  auto lam = lik.circulant_hessian(pad);
  ASSERT_EQ(lam.sizes(), (std::vector<std::int64_t>{pad, pad}));
  double wsum = 0;
  for (double w : vs.weight) wsum += w;
  EXPECT_NEAR(lam.mean().item<double>(), 4.0 * wsum, 1e-9 * wsum);  // diagonal = scale² Σ w
  auto x = torch::randn({2, n, n}, lf64());
  auto zero = torch::zeros({2}, lf64());
  auto hx = lik.score(torch::zeros({2, n, n}, lf64()), zero) - lik.score(x, zero);
  auto circ = torch::real(torch::fft::ifft2(torch::fft::fft2(torch::constant_pad_nd(x, {0, pad - n, 0, pad - n})) * lam))
                  .slice(1, 0, n)
                  .slice(2, 0, n);
  double err = (circ - hx).abs().max().item<double>() / hx.abs().max().item<double>();
  std::printf("circulant vs exact Hessian: max relative error %.2e\n", err);
  EXPECT_LT(err, 1e-7);
  EXPECT_THROW(lik.circulant_hessian(n - 1), UsageError);
}

// The exact NUFFT likelihood's score runs through the Toeplitz embedding of Re AᴴWA
// (dirty beam on a 2× grid, one FFT pair): against the dense DFT likelihood on a
// non-square image with visibilities anywhere in the resolvable uv plane, with
// units, in float64 and float32, and its re-noised score against its definition
// (mean = the score, covariance = scale² Re AᴴWA along a probe direction).
TEST(NufftLikelihood, ToeplitzScoreMatchesTheDirectTransform) {
  ImageGrid grid{14, 10, 2e-7};
  auto vs = random_vis(grid, 300, 0.98, 17);
  const PixelUnits units{3.0, 0.05};
  auto op = std::make_shared<NufftOperator>(vs.u, vs.v, grid, 1e-10, 1);
  NufftLikelihood lik(op, vs, units);
  auto y = torch::empty({static_cast<std::int64_t>(vs.size())}, torch::kComplexDouble);
  for (std::size_t k = 0; k < vs.size(); ++k) y[k] = c10::complex<double>(vs.vis[k].real(), vs.vis[k].imag());
  auto w = torch::tensor(vs.weight, lf64());
  DenseGaussianLikelihood dense(dft_matrix(vs.u, vs.v, grid), y, w, grid.ny, grid.nx,
                                DenseGaussianLikelihood::Mode::kExact, units);
  auto x = torch::randn({3, grid.ny, grid.nx}, lf64());
  auto zero = torch::zeros({3}, lf64());
  auto want = dense.score(x, zero);
  double err = ((lik.score(x, zero) - want).abs().max() / want.abs().max()).item<double>();
  std::printf("toeplitz score vs dense DFT: max relative error %.2e\n", err);
  EXPECT_LT(err, 1e-8);
  auto want32 = dense.score(x, zero).to(torch::kFloat32);
  auto got32 = lik.score(x.to(torch::kFloat32), zero.to(torch::kFloat32));
  EXPECT_EQ(got32.scalar_type(), torch::kFloat32);
  EXPECT_LT(((got32 - want32).abs().max() / want32.abs().max()).item<double>(), 1e-5);
  EXPECT_NEAR(((lik.energy(x) - dense.energy(x)).abs() / dense.energy(x)).max().item<double>(), 0.0, 1e-8);

  // Re-noised scores: n chains at one x.
  const std::int64_t n = 4000;
  auto gen = at::detail::createCPUGenerator(5);
  auto x1 = x.slice(0, 0, 1).expand({n, grid.ny, grid.nx}).contiguous();
  auto d = lik.perturbed_score(x1, gen) - lik.score(x1, torch::zeros({n}, lf64()));
  auto probe = torch::randn({grid.ny, grid.nx}, lf64());
  auto proj = (d * probe).sum({1, 2});
  // Var(probeᵀ scale·Re AᴴW n) = scale² probeᵀ Re AᴴWA probe = the energy's curvature along probe.
  auto hp = lik.score(torch::zeros({1, grid.ny, grid.nx}, lf64()), torch::zeros({1}, lf64())) -
            lik.score(probe.unsqueeze(0), torch::zeros({1}, lf64()));
  double var_want = (probe * hp[0]).sum().item<double>();
  double mean = proj.mean().item<double>(), var = proj.var().item<double>();
  EXPECT_LT(std::abs(mean), 4 * std::sqrt(var_want / n)) << mean;
  EXPECT_NEAR(var / var_want, 1.0, 0.1) << var << " vs " << var_want;  // s.e. of the ratio ≈ 0.022
}

TEST(DenseGaussianLikelihood, ConvolvedScoreMatchesDefinition) {
  int h = 3, w = 4;
  ImageGrid grid{w, h, 1e-6};
  auto vs = random_vis(grid, 7, 0.9, 4);
  auto a = dft_matrix(vs.u, vs.v, grid);
  auto y = torch::complex(torch::randn({7}, lf64()), torch::randn({7}, lf64()));
  auto wt = torch::tensor(vs.weight, lf64());
  PixelUnits units{2.0, 0.0};
  DenseGaussianLikelihood lik(a, y, wt, h, w, DenseGaussianLikelihood::Mode::kConvolved, units);
  auto x = torch::randn({2, h, w}, lf64());
  auto sigma = torch::tensor({0.0, 0.4}, lf64());
  auto s = lik.score(x, sigma);
  auto ar = lik.real_operator();
  for (int b = 0; b < 2; ++b) {
    double sp = sigma[b].item<double>() * units.scale;
    auto k = torch::diag(lik.noise_variance()) + sp * sp * torch::matmul(ar, ar.t());
    auto r = lik.real_data() - torch::matmul(ar, units.scale * x[b].flatten());
    auto expect = units.scale * torch::matmul(ar.t(), torch::linalg_solve(k, r.unsqueeze(1), true).squeeze(1));
    EXPECT_LT((s[b].flatten() - expect).abs().max().item<double>(), 1e-10 * expect.abs().max().item<double>());
  }
  // σ = 0 equals the exact mode, which is −∇ energy.
  DenseGaussianLikelihood ex(a, y, wt, h, w, DenseGaussianLikelihood::Mode::kExact, units);
  EXPECT_LT((ex.score(x, sigma)[0] - s[0]).abs().max().item<double>(), 1e-12);
  auto bad = y.clone();
  bad[2] = c10::complex<double>(NAN, 0);
  EXPECT_THROW(DenseGaussianLikelihood(a, bad, wt, h, w), DataError);
}

TEST(Posterior, TemperingAndLikelihoodWeightAreExplicit) {
  int h = 3, w = 4;
  ImageGrid grid{w, h, 1e-6};
  auto vs = random_vis(grid, 7, 0.9, 5);
  auto a = dft_matrix(vs.u, vs.v, grid);
  auto y = torch::complex(torch::randn({7}, lf64()), torch::randn({7}, lf64()));
  auto lik = std::make_shared<DenseGaussianLikelihood>(a, y, torch::tensor(vs.weight, lf64()), h, w);
  struct Flat : Prior {
    at::Tensor score(const at::Tensor& x, const at::Tensor&) const override { return torch::zeros_like(x); }
    bool has_log_prob() const override { return true; }
    at::Tensor log_prob(const at::Tensor& x) const override { return torch::zeros({x.size(0)}, x.options()); }
    double sigma_max() const override { return 1; }
    double sigma_min() const override { return 0.1; }
    std::string name() const override { return "flat"; }
  };
  auto prior = std::make_shared<Flat>();
  Posterior base(prior, lik), tempered(prior, lik, {0.5, 0.25});
  auto x = torch::randn({2, h, w}, lf64());
  EXPECT_LT((tempered.score(x, 0.3) - 2.0 * base.score(x, 0.3)).abs().max().item<double>(), 1e-12);
  EXPECT_LT((tempered.log_prob(x) - 2.0 * base.log_prob(x)).abs().max().item<double>(), 1e-10);
  EXPECT_NE(tempered.describe().find("likelihood=dense-convolved weight=0.5 temperature=0.25"), std::string::npos);
  EXPECT_THROW(Posterior(prior, lik, {1.0, 0.0}), UsageError);
  EXPECT_THROW(Posterior(prior, lik, {-1.0, 1.0}), UsageError);
}

}  // namespace
}  // namespace penumbra
