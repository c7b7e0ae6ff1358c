#include "src/pipelines/truth_image.hpp"

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

}  // namespace penumbra
