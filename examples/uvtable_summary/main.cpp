// Reads a uvtable (or a MeasurementSet), prints its uv coverage, and forms a
// natural-weighted dirty-image value at the phase centre with the planned NUFFT.
//   uvtable_summary FILE [CELL_MAS]
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/units.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [CELL_MAS]\n", argv[0]);
    return 64;
  }
  try {
    std::filesystem::path path = argv[1];
    penumbra::Observation obs = std::filesystem::is_directory(path) ? penumbra::read_measurement_set(path)
                                                                    : penumbra::read_uvtable(path);
    penumbra::VisibilitySet vis = obs.stokes_i();
    vis.validate(path.string());
    double max_uv = vis.max_uv();
    std::printf("visibilities: %zu\nmax |uv|: %.1f klambda\n", vis.size(), max_uv / 1e3);

    // A 64x64 grid whose cell resolves the longest baseline.
    double cell = argc > 2 ? std::atof(argv[2]) * 1e-3 * penumbra::kArcsec : 0.45 / max_uv;
    penumbra::ImageGrid grid{64, 64, cell};
    penumbra::NufftPlan<double> plan(vis.u, vis.v, grid, 1e-6);
    std::vector<std::complex<double>> weighted(vis.size());
    double wsum = 0;
    for (std::size_t k = 0; k < vis.size(); ++k) {
      weighted[k] = vis.weight[k] * vis.vis[k];
      wsum += vis.weight[k];
    }
    std::vector<double> dirty(grid.size());
    plan.grid(weighted, dirty);
    std::printf("dirty image at the phase centre: %.6g Jy/beam\n", dirty[grid.ny / 2 * grid.nx + grid.nx / 2] / wsum);
    return 0;
  } catch (const penumbra::Error& e) {
    std::fprintf(stderr, "uvtable_summary: %s\n", e.what());
    return static_cast<int>(e.code());
  }
}
