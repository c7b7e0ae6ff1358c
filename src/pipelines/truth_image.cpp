#include "src/pipelines/truth_image.hpp"

#include <fmt/format.h>

#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/image_regrid.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/png.hpp"

namespace penumbra {

void write_truth_image(const std::filesystem::path& dir, const SkyModel& sky, double freq_hz) {
  FitsImage truth;
  truth.pixels = sky.pixels;
  truth.grid = sky.grid;
  truth.freq_hz = freq_hz;
  truth.bunit = "Jy/pixel";
  truth.history["penumbra"] = "simulate truth image";
  truth.history["sky"] = sky.description;
  write_fits_image(dir / "truth.fits", truth);
  ImagePanel panel;
  panel.pixels = sky.pixels;
  panel.nx = sky.grid.nx;
  panel.ny = sky.grid.ny;
  panel.title = "truth";
  panel.colorbar_label = "Jy/pixel";
  write_image_png(dir / "truth.png", panel);
}

void check_truth_cell(const FitsImage& truth, const std::string& path, double cell) {
  if (truth.grid.cell > cell * (1 + 1e-6))
    throw UsageError(fmt::format("the truth image {} has pixels of {}, coarser than the images' {}: make the truth at "
                                 "the imaging cell or finer",
                                 path, format_angle(truth.grid.cell), format_angle(cell)));
}

std::vector<double> truth_on_grid(const FitsImage& truth, const std::string& path, const ImageGrid& grid) {
  check_truth_cell(truth, path, grid.cell);
  // Small-angle offset of the two phase centres (the truth of a simulation shares the data's).
  // A uvtable carries no phase centre (the grid's is then 0, 0): nothing to check against.
  const bool data_centre_known = grid.ra != 0 || grid.dec != 0;
  const double dl = (truth.grid.ra - grid.ra) * std::cos(grid.dec), dm = truth.grid.dec - grid.dec;
  if (data_centre_known && std::hypot(dl, dm) > 0.5 * grid.cell)
    throw DataError(fmt::format("the truth image {} is centred {} from the data's phase centre", path,
                                format_angle(std::hypot(dl, dm))));
  if (truth.grid.nx == grid.nx && truth.grid.ny == grid.ny && std::abs(truth.grid.cell - grid.cell) <= 1e-6 * grid.cell)
    return truth.pixels;
  log().info("truth {}: {}x{} at {} resampled (flux-conserving) onto {}x{} at {}", path, truth.grid.nx, truth.grid.ny,
             format_angle(truth.grid.cell), grid.nx, grid.ny, format_angle(grid.cell));
  return regrid_conserving_flux(truth.pixels, truth.grid, grid);
}

}  // namespace penumbra
