#include "src/diagnostics/frechet_distance.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Map<const RowMatrix> as_matrix(const FeatureMatrix& x) {
  if (x.rows < 2 || x.cols < 1)
    throw UsageError(fmt::format("feature set of {} × {} too small: needs at least 2 rows and 1 column", x.rows, x.cols));
  if (static_cast<std::int64_t>(x.values.size()) != x.rows * x.cols)
    throw InternalError(fmt::format("feature matrix holds {} values, not {} × {}", x.values.size(), x.rows, x.cols));
  return Eigen::Map<const RowMatrix>(x.values.data(), x.rows, x.cols);
}

GaussianMoments moments_of(const Eigen::MatrixXd& m) {
  GaussianMoments g;
  g.dim = m.cols();
  Eigen::VectorXd mu = m.colwise().mean();
  Eigen::MatrixXd c = m.rowwise() - mu.transpose();
  Eigen::MatrixXd cov = (c.transpose() * c) / static_cast<double>(m.rows() - 1);
  g.mean.assign(mu.data(), mu.data() + g.dim);
  g.covariance.resize(g.dim * g.dim);
  Eigen::Map<RowMatrix>(g.covariance.data(), g.dim, g.dim) = cov;
  return g;
}

// Square root of a symmetric positive semi-definite matrix.
Eigen::MatrixXd sqrt_psd(const Eigen::MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (m + m.transpose()));
  Eigen::VectorXd root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * root.asDiagonal() * es.eigenvectors().transpose();
}

Eigen::MatrixXd resample(const Eigen::Map<const RowMatrix>& x, Rng& rng) {
  std::uniform_int_distribution<Eigen::Index> pick(0, x.rows() - 1);
  Eigen::MatrixXd out(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.rows(); ++i) out.row(i) = x.row(pick(rng));
  return out;
}

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double pos = p * static_cast<double>(v.size() - 1);
  auto i = static_cast<std::size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

}  // namespace

GaussianMoments feature_moments(const FeatureMatrix& x) {
  auto m = as_matrix(x);
  if (!m.allFinite()) throw DataError("feature set holds non-finite values");
  return moments_of(m);
}

double frechet_distance(const GaussianMoments& a, const GaussianMoments& b) {
  if (a.dim != b.dim)
    throw UsageError(fmt::format("feature dimensions differ: {} and {}", a.dim, b.dim));
  const auto d = a.dim;
  Eigen::Map<const Eigen::VectorXd> m1(a.mean.data(), d), m2(b.mean.data(), d);
  Eigen::MatrixXd s1 = Eigen::Map<const RowMatrix>(a.covariance.data(), d, d);
  Eigen::MatrixXd s2 = Eigen::Map<const RowMatrix>(b.covariance.data(), d, d);
  Eigen::MatrixXd r1 = sqrt_psd(s1);
  // tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}: the inner matrix is symmetric PSD, so its
  // square root's trace is the sum of the roots of its eigenvalues.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(r1 * s2 * r1, Eigen::EigenvaluesOnly);
  double cross = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return std::max(0.0, (m1 - m2).squaredNorm() + s1.trace() + s2.trace() - 2 * cross);
}

FrechetEstimate frechet_distance_bootstrap(const FeatureMatrix& a, const FeatureMatrix& b, int replicates,
                                           double level, std::uint64_t seed) {
  require_at_least("bootstrap replicates", replicates, 2);
  require_in_range("interval level", level, 0.0, 1.0);
  auto ma = as_matrix(a), mb = as_matrix(b);
  if (!ma.allFinite() || !mb.allFinite()) throw DataError("feature set holds non-finite values");
  FrechetEstimate e;
  e.level = level;
  e.replicates = replicates;
  e.distance = frechet_distance(moments_of(ma), moments_of(mb));
  std::vector<double> reps(replicates);
  Rng rng = make_rng(seed, 0xF1D);
  for (auto& r : reps) r = frechet_distance(moments_of(resample(ma, rng)), moments_of(resample(mb, rng)));
  double mean = 0, sq = 0;
  for (double r : reps) mean += r / replicates;
  for (double r : reps) sq += (r - mean) * (r - mean);
  e.bootstrap_sd = std::sqrt(sq / (replicates - 1));
  e.bias_corrected = std::max(0.0, 2 * e.distance - mean);
  double alpha = (1 - level) / 2;
  e.lower = std::max(0.0, 2 * e.distance - quantile(reps, 1 - alpha));
  e.upper = std::max(0.0, 2 * e.distance - quantile(reps, alpha));
  return e;
}

}  // namespace penumbra
