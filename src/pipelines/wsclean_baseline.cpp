#include "src/pipelines/wsclean_baseline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cmath>
#include <cstdio>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/pipelines/planned_observation.hpp"

namespace fs = std::filesystem;

namespace penumbra {

namespace {

int run_shell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    if (out) out->append(buf.data(), n);
  return pclose(p);
}

// The environment prefix under which wsclean starts, or "" with `why`.
std::string wsclean_launcher(std::string& why) {
  if (run_shell("command -v wsclean") != 0) {
    why = "wsclean is not installed";
    return "";
  }
  std::vector<std::string> cands = {"env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "};
  if (fs::exists("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"))
    cands.push_back("env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread ");
  for (auto& c : cands) {
    std::string out;
    if (run_shell(c + "wsclean --version", &out) == 0 && out.find("WSClean version") != std::string::npos) return c;
  }
  why = "wsclean is installed but does not start";
  return "";
}

// The selection options that make wsclean read what Penumbra read.
std::string selection_flags(const WscleanRequest& r) {
  std::string f = fmt::format("-data-column {} ", r.column);
  if (!r.spws.empty()) f += fmt::format("-spws {} ", fmt::join(r.spws, ","));
  auto limit = [&](const std::optional<UvDistance>& d, const char* name) {
    if (d) f += fmt::format("-{}uv{} {} ", name, d->wavelengths ? "-l" : "w-m", d->value);
  };
  limit(r.uv.min, "min");
  limit(r.uv.max, "max");
  if (r.weighting.taper_fwhm > 0) f += fmt::format("-taper-gaussian {}asec ", r.weighting.taper_fwhm / kArcsec);
  return f;
}

std::string wsclean_command(const std::string& launcher, const WscleanRequest& r, const ImageGrid& grid) {
  std::string weight = weighting_name(r.weighting.scheme);
  if (weight == "briggs") weight = fmt::format("briggs {}", r.weighting.robust);
  std::string inputs;
  for (const auto& ms : r.ms) inputs += fmt::format(" '{}'", ms);
  return fmt::format("{}wsclean -quiet -j 1 -size {} {} -scale {}asec -weight {} -niter {} -gain {} -mgain {} "
                     "-threshold {} {}{}-no-update-model-required -name '{}'{}",
                     launcher, grid.nx, grid.ny, grid.cell / kArcsec, weight, r.clean.niter, r.clean.gain,
                     r.clean.major_gain, r.clean.threshold, r.clean.multiscale ? "-multiscale " : "",
                     selection_flags(r), (r.dir / "ws").string(), inputs);
}

}  // namespace

std::vector<double> read_image_on(const std::string& path, const ImageGrid& grid, const std::string& what) {
  require_exists(path, what);
  FitsImage f = read_fits_image(path);
  if (f.grid.nx != grid.nx || f.grid.ny != grid.ny)
    throw UsageError(fmt::format("{} {} is {}x{} but the comparison grid is {}x{}", what, path, f.grid.nx, f.grid.ny,
                                 grid.nx, grid.ny));
  if (std::abs(f.grid.cell - grid.cell) > 1e-6 * grid.cell)
    throw UsageError(fmt::format("{} {} has {} pixels but the comparison grid has {}", what, path,
                                 format_angle(f.grid.cell), format_angle(grid.cell)));
  return f.pixels;
}

WscleanOutcome wsclean_baseline(const WscleanRequest& r, const PlannedObservation& obs,
                                const std::vector<double>& truth) {
  WscleanOutcome w;
  for (const auto& ms : r.ms)
    if (!fs::is_directory(ms)) w.skipped = fmt::format("{} is not a MeasurementSet", ms);
  const std::string launcher = w.skipped.empty() ? wsclean_launcher(w.skipped) : "";
  if (!w.skipped.empty()) return w;
  fs::create_directories(r.dir);
  const ImageGrid& grid = obs.grid();
  w.command = wsclean_command(launcher, r, grid);
  std::string out;
  const int rc = run_shell(w.command, &out);
  const auto prefix = (r.dir / "ws").string();
  if (rc != 0 || !fs::exists(prefix + "-image.fits")) {
    w.skipped = fmt::format("wsclean failed (exit {}): {}", rc, out.substr(out.size() > 300 ? out.size() - 300 : 0));
    return w;
  }
  FitsImage f = read_fits_image(prefix + "-image.fits");
  if (!f.beam || f.grid.nx != grid.nx) {
    w.skipped = "wsclean image has no beam or another size";
    return w;
  }
  const double area = beam_area_pixels(*f.beam, grid);
  auto px = f.pixels;
  for (auto& p : px) p /= area;
  auto model = read_image_on(prefix + "-model.fits", grid, "wsclean model");
  w.row = score_image("wsclean", px, truth, obs, model,
                      fmt::format("restored / clean-beam area {:.2f} px; χ² of the components", area));
  w.row->beam = f.beam;
  return w;
}

}  // namespace penumbra
