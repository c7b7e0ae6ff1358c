// penumbra dataset: training sets for diffusion priors, written as an HDF5
// image stack (see src/datasets/image_importer.hpp for the layout).
//   penumbra dataset galaxies --n 20000 --size 64 [--file galaxies.h5]
//   penumbra dataset disks|mix --n 20000 --size 64 [--file disks.h5|mix.h5]
//   penumbra dataset import --input DIR|FILE.h5 --size 64 [--file images.h5]
//   penumbra dataset gz-votes --count 100000 --size 64 [--grey] [--tree T.json] [--file gz-votes.h5]
// --file is relative to the run folder (--out) unless absolute.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/training_set.hpp"
#include "src/datasets/image_importer.hpp"
#include "src/datasets/vote_dataset.hpp"
#include "src/io/hdf5_store.hpp"

namespace penumbra::cli {

namespace {
// The generators' and the importer's settings, bound to the flags directly.
struct DatasetOptions {
  std::int64_t n = 1000;
  GalaxyOptions galaxy;
  ImportOptions importer = [] {
    ImportOptions io;
    io.peak_min = 0.5;  // the generators' default range
    return io;
  }();
  GzVoteOptions gz;
  std::string file, input, tree;
};

std::filesystem::path resolve(RunFolder& run, const std::string& file, const std::string& fallback) {
  std::filesystem::path p = file.empty() ? fallback : file;
  return p.is_absolute() ? p : run.path(p.string());
}

// Per-image generator parameters, for the flux/size validation of priors: the
// galaxy or disk parameters of a single-kind set, the kind of each image of a mix.
void write_params(Hdf5Store& store, const TrainingSetGenerator& gen) {
  const std::size_t n = gen.size();
  Array<double> params;
  std::string columns;
  if (gen.kind() == TrainingKind::kGalaxies) {
    params.shape = {n, 6};
    for (std::size_t i = 0; i < n; ++i) {
      auto p = gen.galaxies().params(i);
      params.data.insert(params.data.end(), {p.disk_scale, p.cos_inc, p.pa, double(p.arms), p.bar_length, p.peak});
    }
    columns = "disk_scale_px,cos_inclination,position_angle_rad,arms,bar_length_px,peak";
  } else if (gen.kind() == TrainingKind::kDisks) {
    params.shape = {n, 6};
    const double cell = disk_training_grid(gen.height()).cell;
    for (std::size_t i = 0; i < n; ++i) {
      auto d = gen.disks().disk(i);
      params.data.insert(params.data.end(), {d.radius / cell, std::cos(d.inclination), d.position_angle,
                                             double(d.rings.size()), double(d.gaps.size()), gen.disks().peak(i)});
    }
    columns = "outer_radius_px,cos_inclination,position_angle_rad,rings,gaps,peak";
  } else {
    params.shape = {n, 1};
    for (std::size_t i = 0; i < n; ++i) params.data.push_back(gen.is_disk(i) ? 1.0 : 0.0);
    columns = "is_disk";
  }
  store.write("/params", params, "");
  store.set_attr("/params", "columns", columns);
}

void write_generated_set(RunFolder& run, std::uint64_t run_seed, const DatasetOptions& o, TrainingKind kind) {
  const GalaxyOptions& go = o.galaxy;
  std::uint64_t seed = derive_seed(run_seed, 0xDA7Aull);  // the same stream train-prior --generate uses
  TrainingSetGenerator gen(kind, static_cast<std::size_t>(o.n), go, seed);
  const std::string name = training_kind_name(kind);
  auto path = resolve(run, o.file, name + ".h5");
  std::size_t npix = std::size_t(go.size) * go.size;
  std::vector<float> images(std::size_t(o.n) * npix);
  Progress bar("dataset " + name, o.n, "img");
  const std::int64_t chunk = 256;
  for (std::int64_t i = 0; i < o.n; i += chunk) {
    auto c = std::min(chunk, o.n - i);
    gen.write_images(std::size_t(i), std::size_t(c), images.data() + std::size_t(i) * npix);
    bar.tick(c);
  }
  bar.finish();
  std::string source = fmt::format("penumbra dataset {} --n {} --size {} --psf-fwhm {} --noise {} "
                                   "--peak-min {} --peak-max {} --seed {}",
                                   name, o.n, go.size, go.psf_fwhm, go.noise, go.peak_min, go.peak_max, run_seed);
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    write_image_stack(tmp, "images", images, o.n, go.size, go.size, "peak", source);
    Hdf5Store store(tmp, Hdf5Store::Mode::kReadWrite);
    write_params(store, gen);
    store.set_attr("/images", "kind", name);
  });
  run.finish({{"file", path.string()}, {"images", o.n}, {"size", go.size}, {"kind", name}});
  fmt::print("{}\n", path.string());
}

void write_imported_set(RunFolder& run, std::uint64_t run_seed, const DatasetOptions& o) {
  ImportOptions io = o.importer;
  io.seed = derive_seed(run_seed, 0x1A9Full);
  auto s = import_images(o.input, io);
  auto path = resolve(run, o.file, "images.h5");
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    write_image_stack(tmp, "images", s.images, s.count, s.height, s.width, s.normalisation, s.source);
  });
  run.finish({{"file", path.string()}, {"images", s.count}, {"size", io.size}});
  fmt::print("{}\n", path.string());
}

void write_gz_votes(RunFolder& run, std::uint64_t run_seed, const DatasetOptions& o) {
  VoteTree tree = o.tree.empty() ? VoteTree::decals() : VoteTree::load(o.tree);
  auto path = resolve(run, o.file, "gz-votes.h5");
  const auto& g = o.gz;
  std::string source = fmt::format("penumbra dataset gz-votes --count {} --size {}{} --psf-fwhm {} --noise {} "
                                   "--min-volunteers {} --max-volunteers {} --tree {} --seed {}",
                                   g.count, g.galaxy.size, g.grey ? " --grey" : "", g.galaxy.psf_fwhm, g.galaxy.noise,
                                   g.volunteers.min_volunteers, g.volunteers.max_volunteers,
                                   o.tree.empty() ? "decals" : o.tree, run_seed);
  std::vector<QuestionSummary> summary;
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    summary = write_vote_dataset(tmp, g, tree, derive_seed(run_seed, 0x6A707E5ull), source);
  });
  nlohmann::json questions;  // what the crowd said, also in run.json
  for (std::size_t k = 0; k < summary.size(); ++k) {
    const auto& s = summary[k];
    std::string line;
    for (std::size_t a = 0; a < s.mean_fractions.size(); ++a) {
      const auto& name = tree.questions()[k].answers[a].name;
      questions[s.name]["mean_fractions"][name] = s.mean_fractions[a];
      line += fmt::format(" {} {:.2f}", name, s.mean_fractions[a]);
    }
    questions[s.name]["reached"] = s.reached;
    questions[s.name]["mean_votes"] = s.mean_votes;
    log().info("{:<18} reached {:.2f}, {:4.1f} votes:{}", s.name, s.reached, s.mean_votes, line);
  }
  run.finish({{"file", path.string()}, {"images", g.count}, {"size", g.galaxy.size}, {"kind", "gz-votes"},
              {"answers", tree.answer_count()}, {"questions", questions}});
  fmt::print("{}\n", path.string());
}

CLI::App* add_gz_votes_subcommand(CLI::App* app, DatasetOptions& o) {
  auto* g = app->add_subcommand("gz-votes", "Colour galaxies (g, r, z) with simulated Galaxy Zoo volunteer votes "
                                            "down a decision tree (docs/representations.md)");
  auto& gz = o.gz;
  g->add_option("--count,--n", gz.count, "Number of galaxies")->capture_default_str();
  g->add_option("--size", gz.galaxy.size, "Pixels per side")->capture_default_str();
  g->add_flag("--grey", gz.grey, "One grey channel instead of the g, r, z bands");
  g->add_option("--psf-fwhm", gz.galaxy.psf_fwhm, "Gaussian PSF FWHM in pixels (0: none)")->capture_default_str();
  g->add_option("--noise", gz.galaxy.noise, "Gaussian noise σ as a fraction of each image's peak")->capture_default_str();
  g->add_option("--min-volunteers", gz.volunteers.min_volunteers, "Fewest volunteers per galaxy")->capture_default_str();
  g->add_option("--max-volunteers", gz.volunteers.max_volunteers, "Most volunteers per galaxy")->capture_default_str();
  g->add_option("--tree", o.tree, "Decision tree JSON (default: the shipped data/gz/decals_tree.json)");
  g->add_option("--file", o.file, "Output HDF5 (relative to the run folder; default gz-votes.h5)");
  return g;
}

// galaxies, disks and mix share their options and their writer (src/datasets/training_set.hpp).
std::vector<std::pair<CLI::App*, TrainingKind>> add_generated_subcommands(CLI::App* app, DatasetOptions& o) {
  std::vector<std::pair<CLI::App*, TrainingKind>> generated;
  for (auto [name, kind, help] :
       {std::tuple{"galaxies", TrainingKind::kGalaxies, "Procedural galaxies (bulge, disk, arms, bars, clumps, dust)"},
        std::tuple{"disks", TrainingKind::kDisks, "Random protoplanetary disks (rings, gaps, inclination, offset)"},
        std::tuple{"mix", TrainingKind::kMix, "Galaxies and disks, half/half (even items galaxies, odd items disks)"}}) {
    auto* g = app->add_subcommand(name, help);
    g->add_option("--n", o.n, "Number of images")->capture_default_str()->check(CLI::PositiveNumber);
    auto& go = o.galaxy;
    g->add_option("--size", go.size, "Pixels per side (64, 128, 256)")->capture_default_str();
    g->add_option("--psf-fwhm", go.psf_fwhm, "Gaussian PSF FWHM in pixels (0: none)")->capture_default_str();
    g->add_option("--noise", go.noise, "Gaussian noise σ as a fraction of each image's peak")->capture_default_str();
    g->add_option("--peak-min", go.peak_min, "Smallest image peak")->capture_default_str();
    g->add_option("--peak-max", go.peak_max, "Largest image peak")->capture_default_str();
    g->add_option("--file", o.file, std::string("Output HDF5 (relative to the run folder; default ") + name + ".h5)");
    generated.emplace_back(g, kind);
  }
  return generated;
}

CLI::App* add_import_subcommand(CLI::App* app, DatasetOptions& o) {
  auto* imp = app->add_subcommand("import", "Real images (folder of FITS/PNG, or HDF5 N×H×W(×3)) → grey, cropped, "
                                            "resized, peak-normalised stack");
  imp->add_option("--input", o.input, "Folder of .fits/.png files, or an HDF5 file")->required();
  auto& io = o.importer;
  imp->add_option("--dataset", io.dataset, "Array in the HDF5 input (default: the first N×H×W(×3) array)");
  imp->add_option("--size", io.size, "Pixels per side")->capture_default_str();
  imp->add_option("--crop", io.crop, "Centre crop as a fraction of the shorter side")->capture_default_str();
  imp->add_option("--peak-min", io.peak_min, "Smallest image peak")->capture_default_str();
  imp->add_option("--peak-max", io.peak_max, "Largest image peak")->capture_default_str();
  imp->add_option("--file", o.file, "Output HDF5 (relative to the run folder; default images.h5)");
  return imp;
}
}  // namespace

Runner add_dataset(CLI::App& root) {
  auto* app = root.add_subcommand("dataset", "Make training sets for diffusion priors (HDF5 image stacks)");
  app->require_subcommand(1);
  auto o = std::make_shared<DatasetOptions>();
  auto generated = add_generated_subcommands(app, *o);
  auto* imp = add_import_subcommand(app, *o);
  auto* gz = add_gz_votes_subcommand(app, *o);
  return [o, generated, imp, gz](Context& ctx) {
    if (gz->parsed()) o->gz.validate();
    RunFolder& run = ctx.run("dataset");
    for (auto [sub, kind] : generated)
      if (sub->parsed()) write_generated_set(run, ctx.seed(), *o, kind);
    if (imp->parsed()) write_imported_set(run, ctx.seed(), *o);
    if (gz->parsed()) write_gz_votes(run, ctx.seed(), *o);
  };
}

}  // namespace penumbra::cli
