// penumbra dataset: training sets for diffusion priors, written as an HDF5
// image stack (see src/datasets/image_importer.hpp for the layout).
//   penumbra dataset galaxies --n 20000 --size 64 [--file galaxies.h5]
//   penumbra dataset import --input DIR|FILE.h5 --size 64 [--file images.h5]
// --file is relative to the run folder (--out) unless absolute.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/galaxy_generator.hpp"
#include "src/datasets/image_importer.hpp"
#include "src/io/hdf5_store.hpp"

namespace penumbra::cli {

namespace {
struct DatasetOptions {
  std::int64_t n = 1000;
  int size = 64;
  double psf_fwhm = 0, noise = 0, peak_min = 0.5, peak_max = 1.0, crop = 1.0;
  std::string file, input, dataset;
};

std::filesystem::path resolve(RunFolder& run, const std::string& file, const std::string& fallback) {
  std::filesystem::path p = file.empty() ? fallback : file;
  return p.is_absolute() ? p : run.path(p.string());
}
}  // namespace

Runner add_dataset(CLI::App& root) {
  auto* app = root.add_subcommand("dataset", "Make training sets for diffusion priors (HDF5 image stacks)");
  app->require_subcommand(1);
  auto o = std::make_shared<DatasetOptions>();
  auto* gal = app->add_subcommand("galaxies", "Procedural galaxies (bulge, disk, arms, bars, clumps, dust)");
  gal->add_option("--n", o->n, "Number of images")->capture_default_str()->check(CLI::PositiveNumber);
  gal->add_option("--size", o->size, "Pixels per side (64, 128, 256)")->capture_default_str();
  gal->add_option("--psf-fwhm", o->psf_fwhm, "Gaussian PSF FWHM in pixels (0: none)")->capture_default_str();
  gal->add_option("--noise", o->noise, "Gaussian noise σ as a fraction of each image's peak")->capture_default_str();
  gal->add_option("--peak-min", o->peak_min, "Smallest image peak")->capture_default_str();
  gal->add_option("--peak-max", o->peak_max, "Largest image peak")->capture_default_str();
  gal->add_option("--file", o->file, "Output HDF5 (relative to the run folder; default galaxies.h5)");
  auto* imp = app->add_subcommand("import", "Real images (folder of FITS/PNG, or HDF5 N×H×W(×3)) → grey, cropped, "
                                            "resized, peak-normalised stack");
  imp->add_option("--input", o->input, "Folder of .fits/.png files, or an HDF5 file")->required();
  imp->add_option("--dataset", o->dataset, "Array in the HDF5 input (default: the first N×H×W(×3) array)");
  imp->add_option("--size", o->size, "Pixels per side")->capture_default_str();
  imp->add_option("--crop", o->crop, "Centre crop as a fraction of the shorter side")->capture_default_str();
  imp->add_option("--peak-min", o->peak_min, "Smallest image peak")->capture_default_str();
  imp->add_option("--peak-max", o->peak_max, "Largest image peak")->capture_default_str();
  imp->add_option("--file", o->file, "Output HDF5 (relative to the run folder; default images.h5)");
  return [o, gal, imp](Context& ctx) {
    RunFolder& run = ctx.run("dataset");
    if (gal->parsed()) {
      GalaxyOptions go;
      go.size = o->size;
      go.psf_fwhm = o->psf_fwhm;
      go.noise = o->noise;
      go.peak_min = o->peak_min;
      go.peak_max = o->peak_max;
      std::uint64_t seed = derive_seed(ctx.seed(), 0xDA7Aull);  // the same stream train-prior --generate uses
      GalaxyGenerator gen(static_cast<std::size_t>(o->n), go, seed);
      auto path = resolve(run, o->file, "galaxies.h5");
      std::size_t npix = std::size_t(o->size) * o->size;
      std::vector<float> images(std::size_t(o->n) * npix);
      Progress bar("dataset galaxies", o->n, "img");
      const std::int64_t chunk = 256;
      for (std::int64_t i = 0; i < o->n; i += chunk) {
        auto c = std::min(chunk, o->n - i);
        gen.generate(std::size_t(i), std::size_t(c), images.data() + std::size_t(i) * npix);
        bar.tick(c);
      }
      bar.finish();
      // Per-image parameters, for the flux/size validation of priors.
      Array<double> params;
      params.shape = {std::size_t(o->n), 6};
      for (std::int64_t i = 0; i < o->n; ++i) {
        auto p = gen.params(std::size_t(i));
        params.data.insert(params.data.end(), {p.disk_scale, p.cos_inc, p.pa, double(p.arms), p.bar_length, p.peak});
      }
      std::string source = fmt::format("penumbra dataset galaxies --n {} --size {} --psf-fwhm {} --noise {} "
                                       "--peak-min {} --peak-max {} --seed {}",
                                       o->n, o->size, o->psf_fwhm, o->noise, o->peak_min, o->peak_max, ctx.seed());
      write_atomic(path, [&](const std::filesystem::path& tmp) {
        write_image_stack(tmp, "images", images, o->n, o->size, o->size, "peak", source);
        Hdf5Store store(tmp, Hdf5Store::Mode::kReadWrite);
        store.write("/params", params, "");
        store.set_attr("/params", "columns", "disk_scale_px,cos_inclination,position_angle_rad,arms,bar_length_px,peak");
      });
      run.finish({{"file", path.string()}, {"images", o->n}, {"size", o->size}});
      fmt::print("{}\n", path.string());
    } else if (imp->parsed()) {
      ImportOptions io;
      io.size = o->size;
      io.crop = o->crop;
      io.peak_min = o->peak_min;
      io.peak_max = o->peak_max;
      io.dataset = o->dataset;
      io.seed = derive_seed(ctx.seed(), 0x1A9Full);
      auto s = import_images(o->input, io);
      auto path = resolve(run, o->file, "images.h5");
      write_atomic(path, [&](const std::filesystem::path& tmp) {
        write_image_stack(tmp, "images", s.images, s.count, s.height, s.width, s.normalisation, s.source);
      });
      run.finish({{"file", path.string()}, {"images", s.count}, {"size", o->size}});
      fmt::print("{}\n", path.string());
    }
  };
}

}  // namespace penumbra::cli
