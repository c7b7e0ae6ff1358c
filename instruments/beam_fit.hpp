#pragma once
// The restoring ("clean") beam of a PSF: an elliptical Gaussian fitted to the
// main lobe, as imagers report it. Used by `penumbra image` (the beam the
// dirty image's Jy/beam refers to) and by CLEAN (the restoring beam).
#include <span>

#include "src/core/image_grid.hpp"
#include "src/core/beam.hpp"

namespace penumbra {

// Least squares on ln(psf/peak) = −4 ln 2 · (quadratic form in l, m) over the
// main lobe (the pixels above half maximum 4-connected to the phase centre
// (nx/2, ny/2)), weighted by (psf/peak)² to favour the core. Returns FWHM axes
// (radians) and the major axis' position angle East of North in [−π/2, π/2].
// Throws UsageError when the PSF does not match the grid, DataError when the
// PSF is not positive at the centre, when the lobe covers fewer than 6 pixels
// (the cell does not sample the beam: the message asks for a smaller --scale),
// or when the fitted form is not an ellipse.
Beam fit_beam(std::span<const double> psf, const ImageGrid& grid);

}  // namespace penumbra
