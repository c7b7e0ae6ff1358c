#pragma once
// Flux-conserving resampling of a Jy/pixel image onto another grid around the same
// phase centre: every source pixel is a box whose flux is shared among the target
// pixels in proportion to the overlapping area. This is how a truth image made at
// a fine cell (the DSHARP preset's 3 mas) is compared with an image at the imaging
// cell: the sum over any region that both grids tile exactly is unchanged, and a
// target pixel receives the mean brightness of the sky it covers (no interpolation
// kernel, so no ringing and no negative pixels from a positive truth).
//
// The overlap is separable: target = Wy · source · Wxᵀ, with W the 1-D overlap
// fractions along each axis (ImageGrid's convention: the phase centre at pixel N/2).
#include <vector>

#include "src/core/image_grid.hpp"

namespace penumbra {

// `pixels` ([from.ny][from.nx], Jy/pixel) on `to` (same phase centre, any cell and
// size; flux outside `to` is dropped). UsageError for a size mismatch or invalid grids.
std::vector<double> regrid_conserving_flux(const std::vector<double>& pixels, const ImageGrid& from,
                                           const ImageGrid& to);

}  // namespace penumbra
