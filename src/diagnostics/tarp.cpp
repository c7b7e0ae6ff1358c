#include "src/diagnostics/tarp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/statistics.hpp"
#include "src/diagnostics/interval_coverage.hpp"

namespace penumbra {
namespace {

void check(const std::vector<CoverageSimulation>& sims) {
  if (sims.empty()) throw UsageError("coverage needs at least one simulation");
  std::size_t d = sims[0].truth.size();
  for (std::size_t j = 0; j < sims.size(); ++j) {
    const auto& s = sims[j];
    if (s.truth.size() != d || s.n <= 0 || s.samples.size() != static_cast<std::size_t>(s.n) * d)
      throw UsageError(fmt::format("coverage: simulation {} has {} samples of {} values for a truth of {} (expected {})",
                                   j, s.n, s.samples.size(), s.truth.size(), d));
  }
}

// ECP(α) = fraction of the chosen simulations with f_j < α.
std::vector<double> ecp_curve(const std::vector<double>& f, const std::vector<std::size_t>& pick,
                              const std::vector<double>& alpha) {
  std::vector<double> sorted;
  sorted.reserve(pick.size());
  for (auto j : pick) sorted.push_back(f[j]);
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> e(alpha.size());
  for (std::size_t a = 0; a < alpha.size(); ++a)
    e[a] = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), alpha[a]) - sorted.begin()) /
           sorted.size();
  return e;
}

double tarp_quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  std::size_t i = static_cast<std::size_t>(pos);
  double t = pos - i;
  return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
}

std::vector<double> alpha_grid(int n_alpha) {
  std::vector<double> alpha;
  for (int a = 0; a < n_alpha; ++a) alpha.push_back(static_cast<double>(a) / (n_alpha - 1));
  return alpha;
}

double max_abs_deviation(const std::vector<double>& ecp, const std::vector<double>& alpha) {
  double m = 0;
  for (std::size_t a = 0; a < alpha.size(); ++a) m = std::max(m, std::abs(ecp[a] - alpha[a]));
  return m;
}

constexpr int kCalibratedReplicates = 2000;

}  // namespace

CalibratedDeviation calibrated_max_abs_deviation(std::size_t n_sims, int n_alpha, int replicates, std::uint64_t seed) {
  if (n_sims == 0 || n_alpha < 2 || replicates < 1)
    throw UsageError("calibrated TARP reference: need simulations, 2 levels and 1 replicate");
  auto alpha = alpha_grid(n_alpha);
  std::vector<std::size_t> all(n_sims);
  for (std::size_t j = 0; j < n_sims; ++j) all[j] = j;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  CalibratedDeviation c;
  std::vector<double> f(n_sims);
  for (int b = 0; b < replicates; ++b) {
    Rng rng = make_rng(seed, static_cast<std::uint64_t>(b));
    for (auto& x : f) x = unit(rng);
    c.replicates.push_back(max_abs_deviation(ecp_curve(f, all, alpha), alpha));
    c.mean += c.replicates.back() / replicates;
  }
  std::sort(c.replicates.begin(), c.replicates.end());
  c.q95 = tarp_quantile(c.replicates, 0.95);
  return c;
}

namespace {

// Maps each coordinate onto [0, 1] by the range of everything seen (per
// coordinate, or one range for all): x ↦ (x − lo)·scale.
struct UnitCube {
  std::vector<float> lo;
  std::vector<double> scale;
};

UnitCube unit_cube(const std::vector<CoverageSimulation>& sims, TarpNormalisation norm) {
  const std::size_t d = sims[0].truth.size();
  std::vector<float> lo(d, std::numeric_limits<float>::max()), hi(d, std::numeric_limits<float>::lowest());
  auto extend = [&](const float* x) {
    for (std::size_t k = 0; k < d; ++k) {
      if (!std::isfinite(x[k])) throw DataError(fmt::format("tarp: non-finite value in coordinate {}", k));
      lo[k] = std::min(lo[k], x[k]);
      hi[k] = std::max(hi[k], x[k]);
    }
  };
  for (const auto& s : sims) {
    extend(s.truth.data());
    for (int i = 0; i < s.n; ++i) extend(s.samples.data() + i * d);
  }
  if (norm == TarpNormalisation::kGlobal) {
    const float l = *std::min_element(lo.begin(), lo.end()), h = *std::max_element(hi.begin(), hi.end());
    std::fill(lo.begin(), lo.end(), l);
    std::fill(hi.begin(), hi.end(), h);
  }
  std::vector<double> scale(d);
  for (std::size_t k = 0; k < d; ++k) scale[k] = hi[k] > lo[k] ? 1.0 / (double(hi[k]) - lo[k]) : 0.0;
  return {std::move(lo), std::move(scale)};
}

// f of each simulation: the fraction of its samples closer than the truth to a
// random reference point (stream 0 of `seed`).
std::vector<double> tarp_fractions(const std::vector<CoverageSimulation>& sims, const UnitCube& cube,
                                   std::uint64_t seed) {
  const std::size_t d = sims[0].truth.size();
  Rng ref_rng = make_rng(seed, 0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> ref(d), f;
  for (const auto& s : sims) {
    for (auto& x : ref) x = unit(ref_rng);
    auto dist2 = [&](const float* x) {
      double acc = 0;
      for (std::size_t k = 0; k < d; ++k) {
        double z = (x[k] - cube.lo[k]) * cube.scale[k] - ref[k];
        acc += z * z;
      }
      return acc;
    };
    double dt = dist2(s.truth.data());
    int closer = 0;
    for (int i = 0; i < s.n; ++i) closer += dist2(s.samples.data() + i * d) < dt;
    // The truth's rank among K samples is uniform on {0..K} for a calibrated posterior;
    // spreading it uniformly inside its cell makes f exactly U(0, 1), so ECP(α) = α
    // holds at every α instead of being off by up to 1/(K+1) from the ranks' steps.
    f.push_back((closer + unit(ref_rng)) / (s.n + 1));
  }
  return f;
}

// The 95 % bootstrap band of the ECP curve, resampling simulations (streams
// 1..n_bootstrap of `seed`).
void bootstrap_band(TarpResult& r, std::uint64_t seed, int n_bootstrap) {
  r.ecp_low = r.ecp_high = r.ecp;
  if (n_bootstrap <= 0) return;
  const std::size_t n_sims = r.f.size();
  std::vector<std::vector<double>> reps;
  for (int b = 0; b < n_bootstrap; ++b) {
    Rng rng = make_rng(seed, static_cast<std::uint64_t>(b) + 1);
    std::uniform_int_distribution<std::size_t> pick(0, n_sims - 1);
    std::vector<std::size_t> idx(n_sims);
    for (auto& j : idx) j = pick(rng);
    reps.push_back(ecp_curve(r.f, idx, r.alpha));
  }
  for (std::size_t a = 0; a < r.alpha.size(); ++a) {
    std::vector<double> col;
    for (const auto& rep : reps) col.push_back(rep[a]);
    r.ecp_low[a] = tarp_quantile(col, 0.025);
    r.ecp_high[a] = tarp_quantile(col, 0.975);
  }
}

}  // namespace

TarpResult tarp_coverage(const std::vector<CoverageSimulation>& sims, std::uint64_t seed, int n_alpha,
                         int n_bootstrap, TarpNormalisation norm) {
  check(sims);
  if (n_alpha < 2) throw UsageError("tarp: need at least 2 credibility levels");
  TarpResult r;
  r.f = tarp_fractions(sims, unit_cube(sims, norm), seed);
  r.alpha = alpha_grid(n_alpha);
  std::vector<std::size_t> all(sims.size());
  for (std::size_t j = 0; j < all.size(); ++j) all[j] = j;
  r.ecp = ecp_curve(r.f, all, r.alpha);
  r.max_abs_ecp_minus_alpha = max_abs_deviation(r.ecp, r.alpha);
  // The stream after the bootstrap's (1..n_bootstrap) keeps the reference's draws
  // independent of everything above.
  auto null = calibrated_max_abs_deviation(sims.size(), n_alpha, kCalibratedReplicates,
                                           derive_seed(seed, 0xCA11B));
  r.calibrated_mean = null.mean;
  r.calibrated_q95 = null.q95;
  auto as_far = null.replicates.end() -
                std::lower_bound(null.replicates.begin(), null.replicates.end(), r.max_abs_ecp_minus_alpha - 1e-12);
  r.p_value = static_cast<double>(as_far) / static_cast<double>(null.replicates.size());
  bootstrap_band(r, seed, n_bootstrap);
  return r;
}

IntervalCoverage credible_interval_coverage_test(const std::vector<CoverageSimulation>& sims, double level) {
  check(sims);
  require_credible_level(level);
  const std::size_t d = sims[0].truth.size();
  IntervalCoverage out;
  for (const auto& s : sims) {
    double c = 0;
    for (std::size_t k = 0; k < d; ++k) c += rank_interval_coverage(s.samples.data() + k, s.n, d, s.truth[k], level);
    out.per_simulation.push_back(c / d);
  }
  // Every simulation has d coordinates, so the pooled coverage is the mean over simulations.
  out.coverage = mean(out.per_simulation);
  if (sims.size() < 2) return out;
  const double se = sample_stdev(out.per_simulation) / std::sqrt(static_cast<double>(sims.size()));
  out.z = se > 0 ? (out.coverage - level) / se : (out.coverage == level ? 0.0 : std::copysign(HUGE_VAL, out.coverage - level));
  out.p_value = std::erfc(std::abs(out.z) / std::sqrt(2.0));
  return out;
}

double credible_interval_coverage(const std::vector<CoverageSimulation>& sims, double level) {
  return credible_interval_coverage_test(sims, level).coverage;
}

}  // namespace penumbra
