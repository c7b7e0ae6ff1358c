#pragma once
// The truth image of a simulated observation: truth.fits (Jy/pixel, SIN WCS on the
// sky's grid, the sky's description in HISTORY) and truth.png, as `penumbra simulate`
// writes them for the demo and for its presets; and a truth image brought onto
// the grid of the images it is compared with.
#include <filesystem>
#include <string>
#include <vector>

#include "src/pipelines/observe.hpp"

namespace penumbra {

// Writes `dir`/truth.fits and `dir`/truth.png of `sky` at `freq_hz`.
void write_truth_image(const std::filesystem::path& dir, const SkyModel& sky, double freq_hz);

struct FitsImage;

// Refuses, before any data are read, a truth (read from `path`) coarser than the
// images' `cell`: its pixels cannot be split without inventing structure.
void check_truth_cell(const FitsImage& truth, const std::string& path, double cell);

// The truth's pixels on `grid`: as they are when the grids agree, else resampled by
// regrid_conserving_flux (the DSHARP preset's 3 mas truth for a 12 mas posterior).
// DataError when its phase centre is more than half a pixel of `grid` from grid's
// (when the data give one: a uvtable's grid is centred at 0, 0 and is not checked).
std::vector<double> truth_on_grid(const FitsImage& truth, const std::string& path, const ImageGrid& grid);

}  // namespace penumbra
