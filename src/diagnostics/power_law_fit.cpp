#include "src/diagnostics/power_law_fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t distinct_count(const std::vector<double>& x) { return std::set<double>(x.begin(), x.end()).size(); }

void check_data(const PowerLawData& d, const PowerLawOptions& o) {
  if (d.y.size() != d.x.size()) throw UsageError("power-law fit: x and y differ in length");
  if (!d.sigma.empty() && d.sigma.size() != d.x.size())
    throw UsageError("power-law fit: standard errors differ in length from the points");
  if (!d.group.empty() && d.group.size() != d.x.size())
    throw UsageError("power-law fit: groups differ in length from the points");
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    require_positive("power-law abscissa", d.x[i]);
    require_finite("power-law ordinate", d.y[i]);
    if (!d.sigma.empty()) require_positive("power-law standard error", d.sigma[i]);
  }
  if (distinct_count(d.x) < 3)
    throw UsageError(fmt::format("a power law a*x^-alpha + c needs points at 3 or more distinct x, got {}",
                                 distinct_count(d.x)));
  require_positive("alpha min", o.alpha_min);
  if (!(o.alpha_max > o.alpha_min) || !std::isfinite(o.alpha_max))
    fail_check("alpha max", fmt::format("> alpha min ({})", o.alpha_min), o.alpha_max);
  require_in_range("interval level", o.level, 0.0, 1.0);
}

// The points in the units the profile works in: x / x0 with x0 their geometric
// mean (so x^(−α) stays near 1), weights 1/σ².
struct Scaled {
  Eigen::VectorXd lx, y, w;  // log(x / x0)
  double x0 = 1;
};

Scaled scale(const PowerLawData& d) {
  Scaled s;
  auto n = static_cast<Eigen::Index>(d.x.size());
  s.lx.resize(n), s.y.resize(n), s.w.resize(n);
  double mean_log = 0;
  for (double x : d.x) mean_log += std::log(x) / static_cast<double>(n);
  s.x0 = std::exp(mean_log);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.lx[i] = std::log(d.x[i]) - mean_log;
    s.y[i] = d.y[i];
    s.w[i] = d.sigma.empty() ? 1.0 : 1.0 / (d.sigma[i] * d.sigma[i]);
  }
  return s;
}

// Weighted linear fit of y on [u, 1] at fixed α: (a', c) and χ².
struct Profile {
  double a = 0, c = 0, chi2 = std::numeric_limits<double>::infinity();
};

Profile profile(const Scaled& s, double alpha) {
  Eigen::VectorXd u = (-alpha * s.lx).array().exp();
  double sw = s.w.sum(), su = s.w.dot(u), suu = s.w.dot(u.cwiseProduct(u));
  double sy = s.w.dot(s.y), suy = s.w.dot(u.cwiseProduct(s.y));
  double det = sw * suu - su * su;
  Profile p;
  if (!(std::abs(det) > 1e-14 * sw * suu)) return p;  // u constant: α too small for these x
  p.a = (sw * suy - su * sy) / det;
  p.c = (suu * sy - su * suy) / det;
  Eigen::VectorXd r = s.y - p.a * u - Eigen::VectorXd::Constant(u.size(), p.c);
  p.chi2 = s.w.dot(r.cwiseProduct(r));
  return p;
}

// Grid scan, then golden section inside the best grid cell.
double best_alpha(const Scaled& s, double lo, double hi) {
  constexpr int kGrid = 400;
  double step = (hi - lo) / kGrid, best = lo, best_chi2 = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= kGrid; ++k) {
    double alpha = lo + k * step, chi2 = profile(s, alpha).chi2;
    if (chi2 < best_chi2) best_chi2 = chi2, best = alpha;
  }
  double a = std::max(lo, best - step), b = std::min(hi, best + step);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a);
  double f1 = profile(s, x1).chi2, f2 = profile(s, x2).chi2;
  for (int it = 0; it < 100 && b - a > 1e-12 * std::max(1.0, b); ++it) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = profile(s, x1).chi2;
    } else {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = profile(s, x2).chi2;
    }
  }
  double mid = 0.5 * (a + b);
  return profile(s, mid).chi2 <= best_chi2 ? mid : best;
}

// Jacobian covariance of (a', α, c), carried to a = a'·x0^α.
void fill_covariance(PowerLawFit& f, const Scaled& s, double a_scaled, bool absolute) {
  auto n = s.lx.size();
  Eigen::MatrixXd j(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    double u = std::exp(-f.alpha * s.lx[i]);
    j.row(i) << u, -a_scaled * u * s.lx[i], 1.0;
  }
  Eigen::Matrix3d h = j.transpose() * s.w.asDiagonal() * j;
  Eigen::FullPivLU<Eigen::Matrix3d> lu(h);
  double scale = absolute ? 1.0 : (f.dof > 0 ? f.chi2 / f.dof : kNaN);
  if (!lu.isInvertible() || !std::isfinite(scale)) {
    f.sigma_a = f.sigma_alpha = f.sigma_c = kNaN;
    return;
  }
  Eigen::Matrix3d cov = lu.inverse() * scale;
  double x0a = std::pow(s.x0, f.alpha);
  Eigen::Matrix3d g = Eigen::Matrix3d::Identity();
  g(0, 0) = x0a;
  g(0, 1) = a_scaled * x0a * std::log(s.x0);
  cov = g * cov * g.transpose();
  f.sigma_a = std::sqrt(std::max(0.0, cov(0, 0)));
  f.sigma_alpha = std::sqrt(std::max(0.0, cov(1, 1)));
  f.sigma_c = std::sqrt(std::max(0.0, cov(2, 2)));
}

PowerLawFit point_fit(const PowerLawData& d, const PowerLawOptions& o) {
  Scaled s = scale(d);
  PowerLawFit f;
  f.points = static_cast<int>(d.x.size());
  f.dof = f.points - 3;
  f.alpha = best_alpha(s, o.alpha_min, o.alpha_max);
  Profile p = profile(s, f.alpha);
  f.a = p.a * std::pow(s.x0, f.alpha);
  f.c = p.c;
  f.chi2 = p.chi2;
  double tol = 1e-6 * (o.alpha_max - o.alpha_min);
  f.alpha_at_bound = f.alpha - o.alpha_min < tol || o.alpha_max - f.alpha < tol;
  fill_covariance(f, s, p.a, !d.sigma.empty());
  return f;
}

// One resample: whole groups drawn with replacement, or the fitted curve plus
// Gaussian noise of each point's error.
PowerLawData resample(const PowerLawData& d, const PowerLawFit& f, PowerLawBootstrap kind, Rng& rng) {
  PowerLawData r;
  if (kind == PowerLawBootstrap::kParametric) {
    double s_all = f.dof > 0 ? std::sqrt(f.chi2 / f.dof) : kNaN;
    std::normal_distribution<double> z;
    r = d;
    for (std::size_t i = 0; i < d.x.size(); ++i) r.y[i] = f(d.x[i]) + (d.sigma.empty() ? s_all : d.sigma[i]) * z(rng);
    return r;
  }
  std::map<int, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < d.x.size(); ++i) groups[d.group.empty() ? static_cast<int>(i) : d.group[i]].push_back(i);
  std::vector<const std::vector<std::size_t>*> list;
  for (auto& [id, members] : groups) list.push_back(&members);
  std::uniform_int_distribution<std::size_t> pick(0, list.size() - 1);
  for (std::size_t k = 0; k < list.size(); ++k)
    for (std::size_t i : *list[pick(rng)]) {
      r.x.push_back(d.x[i]), r.y.push_back(d.y[i]);
      if (!d.sigma.empty()) r.sigma.push_back(d.sigma[i]);
    }
  return r;
}

void bootstrap(PowerLawFit& f, const PowerLawData& d, const PowerLawOptions& o) {
  f.bootstrap_sd_alpha = f.alpha_lower = f.alpha_upper = kNaN;
  if (o.bootstrap == PowerLawBootstrap::kNone) return;
  if (o.bootstrap == PowerLawBootstrap::kParametric && d.sigma.empty() && f.dof <= 0) return;
  require_at_least("bootstrap replicates", o.replicates, 2);
  Rng rng = make_rng(o.seed, 0xA1FA);
  std::vector<double> alphas;
  for (int k = 0, tries = 0; k < o.replicates && tries < 20 * o.replicates; ++tries) {
    PowerLawData r = resample(d, f, o.bootstrap, rng);
    if (distinct_count(r.x) < 3) continue;
    alphas.push_back(point_fit(r, o).alpha);
    ++k;
  }
  f.replicates = static_cast<int>(alphas.size());
  if (alphas.size() < 2) return;
  double m = 0, sq = 0;
  for (double a : alphas) m += a / static_cast<double>(alphas.size());
  for (double a : alphas) sq += (a - m) * (a - m);
  f.bootstrap_sd_alpha = std::sqrt(sq / static_cast<double>(alphas.size() - 1));
  std::sort(alphas.begin(), alphas.end());
  auto at = [&](double p) { return alphas[static_cast<std::size_t>(std::lround(p * (alphas.size() - 1)))]; };
  f.alpha_lower = at((1 - o.level) / 2);
  f.alpha_upper = at((1 + o.level) / 2);
}

}  // namespace

double PowerLawFit::operator()(double x) const { return a * std::pow(x, -alpha) + c; }

PowerLawFit fit_power_law(const PowerLawData& data, const PowerLawOptions& options) {
  check_data(data, options);
  PowerLawFit f = point_fit(data, options);
  bootstrap(f, data, options);
  return f;
}

}  // namespace penumbra
