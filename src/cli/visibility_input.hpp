#pragma once
// Options and loading shared by the subcommands that read visibilities
// (image, clean, map, sample): the input file, MS selection, the imaging grid
// and the weighting, each validated before any data are read.
#include <CLI/CLI.hpp>

#include <string>

#include "instruments/weighting.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/io/fits_image.hpp"

namespace penumbra::cli {

struct VisibilityInput {
  std::string input;
  std::string column = "DATA";
  int field = -1, spw = -1;
  std::string freq;  // for uvtables, which carry no frequency

  // Adds the positional INPUT (required unless `input_required` is false) and the selection options.
  void add_to(CLI::App* app, bool input_required = true);
  // Reads the MS (a directory) or uvtable (any file), with clear errors.
  Observation read() const;
};

struct GridInput {
  int size = 256;
  std::string scale;
  void add_to(CLI::App* app, int default_size, bool scale_required = true);
  ImageGrid grid() const;  // validated; phase centre set later from the data
};

struct WeightingInput {
  std::string weighting = "natural";
  double robust = 0.0;
  bool robust_given = false;
  std::string taper;
  void add_to(CLI::App* app);
  WeightingOptions options() const;  // validated
};

// What a command images: the Stokes-I samples, validated, and the grid with
// the data's phase centre. Throws for empty/all-flagged input, non-finite
// values, and baselines the cell cannot resolve (naming the baseline and the
// cell that would fit).
struct LoadedVisibilities {
  Observation obs;
  VisibilitySet vis;
  ImageGrid grid;
  double freq_hz = 0;  // mean frequency (0 when unknown)
};
LoadedVisibilities load_visibilities(const VisibilityInput& in, ImageGrid grid);
// The same in two steps, for commands whose grid depends on the data or other
// inputs: read and validate (grid unset), then fit the grid (phase centre, cell check).
LoadedVisibilities read_visibilities(const VisibilityInput& in);
void fit_grid(LoadedVisibilities& data, const VisibilityInput& in, ImageGrid grid);

// A FITS image of `pixels` on the loaded grid, at the data's frequency.
FitsImage make_fits(const LoadedVisibilities& data, const std::vector<double>& pixels, const std::string& bunit,
                    const std::string& what);
// A PNG of one image with a colour bar.
void write_image_figure(const std::string& path, const std::vector<double>& pixels, const ImageGrid& g,
                        const std::string& title, const std::string& unit);

}  // namespace penumbra::cli
