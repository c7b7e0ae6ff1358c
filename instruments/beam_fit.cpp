#include "instruments/beam_fit.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>
#include <queue>
#include <utility>
#include <vector>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {
constexpr double kFwhmFactor = 4.0 * 0.69314718055994531;  // 4 ln 2
}  // namespace

Beam fit_beam(std::span<const double> psf, const ImageGrid& g) {
  g.validate();
  if (psf.size() != g.size())
    throw UsageError(fmt::format("beam fit: PSF has {} pixels for a {}x{} grid", psf.size(), g.nx, g.ny));
  const int cx = g.nx / 2, cy = g.ny / 2;
  double peak = psf[static_cast<std::size_t>(cy) * g.nx + cx];
  if (!(peak > 0)) throw DataError("PSF is not positive at the phase centre: cannot fit a clean beam");
  // Flood fill of the main lobe above half maximum.
  std::vector<char> seen(g.size(), 0);
  std::queue<std::pair<int, int>> q;
  q.push({cx, cy});
  seen[static_cast<std::size_t>(cy) * g.nx + cx] = 1;
  Eigen::Matrix3d ata = Eigen::Matrix3d::Zero();
  Eigen::Vector3d atb = Eigen::Vector3d::Zero();
  int n = 0;
  while (!q.empty()) {
    auto [x, y] = q.front();
    q.pop();
    double p = psf[static_cast<std::size_t>(y) * g.nx + x] / peak;
    // −ln p = M11 l² + 2 M12 l m + M22 m², weighted by p² to favour the core.
    double l = g.l(x) / g.cell, m = g.m(y) / g.cell;  // in pixels: well-conditioned
    Eigen::Vector3d a(l * l, 2 * l * m, m * m);
    double w = p * p;
    ata += w * a * a.transpose();
    atb += w * a * (-std::log(p));
    ++n;
    const int dx[] = {1, -1, 0, 0}, dy[] = {0, 0, 1, -1};
    for (int k = 0; k < 4; ++k) {
      int xn = x + dx[k], yn = y + dy[k];
      if (xn < 0 || yn < 0 || xn >= g.nx || yn >= g.ny) continue;
      std::size_t i = static_cast<std::size_t>(yn) * g.nx + xn;
      if (seen[i] || psf[i] / peak < 0.5) continue;
      seen[i] = 1;
      q.push({xn, yn});
    }
  }
  if (n < 6)
    throw DataError(fmt::format("the PSF main lobe covers {} pixels: the cell {} does not sample the beam; use a "
                                "smaller pixel size",
                                n, format_angle(g.cell)));
  Eigen::Vector3d c = ata.ldlt().solve(atb);
  Eigen::Matrix2d M;
  M << c(0), c(1), c(1), c(2);
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> es(M);
  double lmin = es.eigenvalues()(0), lmax = es.eigenvalues()(1);
  if (!(lmin > 0)) throw DataError("the PSF main lobe is not elliptical: cannot fit a clean beam");
  Beam b;
  b.bmaj = std::sqrt(kFwhmFactor / lmin) * g.cell;
  b.bmin = std::sqrt(kFwhmFactor / lmax) * g.cell;
  Eigen::Vector2d e = es.eigenvectors().col(0);  // major axis direction in (l, m)
  double pa = std::atan2(e(0), e(1));             // East of North
  if (pa < -kPi / 2) pa += kPi;
  if (pa > kPi / 2) pa -= kPi;
  b.bpa = pa;
  return b;
}

}  // namespace penumbra
