#include "src/core/image_grid.hpp"

#include <fmt/format.h>

#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

double ImageGrid::cdelt1_deg() const { return -cell / kDeg; }
double ImageGrid::cdelt2_deg() const { return cell / kDeg; }
double ImageGrid::crval1_deg() const { return ra / kDeg; }
double ImageGrid::crval2_deg() const { return dec / kDeg; }

void ImageGrid::validate() const {
  if (nx <= 0 || ny <= 0) throw UsageError(fmt::format("image size {}x{} must be positive", nx, ny));
  if (!(cell > 0) || !std::isfinite(cell))
    throw UsageError(fmt::format("cell size {} rad must be positive and finite", cell));
}

}  // namespace penumbra
