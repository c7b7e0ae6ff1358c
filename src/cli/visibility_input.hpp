#pragma once
// Options and loading shared by the subcommands that read visibilities
// (image, clean, map, sample, compare): the input files, MS selection, uv
// range and averaging, the imaging grid and the weighting, each validated
// before any data are read.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "instruments/weighting.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/visibility_selection.hpp"

namespace penumbra::cli {

struct VisibilityInput {
  std::string input;                     // the first input
  std::vector<std::string> more_inputs;  // further inputs, combined with the first
  std::string column = "DATA";
  int field = -1;
  std::string spw = "all";  // "all" (every window with rows) or a list such as "0,2"
  std::string freq;         // for uvtables, which carry no frequency
  std::string uv_min, uv_max, average_time;
  int average_channels = 1;

  // Adds the positional INPUT... (required unless `input_required` is false),
  // the MS selection, the uv range and the averaging options.
  void add_to(CLI::App* app, bool input_required = true);
  std::vector<std::string> inputs() const;  // input, then more_inputs
  std::string label() const;                // the inputs, comma-separated, for logs and summaries
};

// The selection and averaging options, parsed and checked before any data are read.
struct ReadPlan {
  std::vector<int> spws;  // empty: all
  UvRange uv;
  double average_seconds = 0;
  std::size_t average_channels = 1;
};
ReadPlan read_plan(const VisibilityInput& in);

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

// What a command images: the Stokes-I samples of every input and spectral
// window, each channel at its own frequency (multi-frequency synthesis: one
// image at the reference frequency, flat spectrum), validated, and the grid
// with the data's phase centre. Throws for empty/all-flagged input, non-finite
// values, inputs with different phase centres, and baselines the cell cannot
// resolve (naming the baseline, a cell that would fit and the --uv-max that would).
struct LoadedVisibilities {
  VisibilitySet vis;
  ImageGrid grid;
  double freq_hz = 0;  // reference frequency: the mean channel frequency (0 when unknown)
  double ra = 0, dec = 0;
  std::size_t nrow = 0, nchan = 0;  // rows and channels summed over inputs and windows (after averaging)
  std::size_t nsamples = 0, nflagged = 0;  // correlation samples read, and of them flagged (uv range included)
  // The sample with the largest |u| or |v|, for the cell check's message.
  double worst_uv = 0, worst_u = 0, worst_v = 0;
  std::string worst_where;
  // What averaging (or the data's own sampling) smears over: the longest
  // integration and the largest fractional channel width among the windows.
  double integration_s = 0, fractional_width = 0;
  double flagged_fraction() const { return nsamples ? static_cast<double>(nflagged) / nsamples : 0; }
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
