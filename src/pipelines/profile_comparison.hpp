#pragma once
// Rings and gaps of a disk image against a known truth (penumbra compare --disk):
// the deprojected radial profile (datasets/radial_profile.hpp) of the truth, of
// every method's image and of every posterior sample, the posterior's 68 % band,
// and the radii of the truth's rings and gaps as each method finds them.
//
// The truth's features are the local extrema of its profile smoothed by the beam
// (structure finer than the beam is not expected back) that stand out from their
// neighbouring extrema by ≥ 5 % (a ring above the deeper of its two gaps, a gap
// below the lower of its two rings); each is then placed on the unsmoothed truth.
// A method's radius for a feature is the extremum of its profile within half a
// beam of the truth's (never past the midpoint to the next feature), so an image
// that misplaces a ring by more than that shows an error of about half a beam.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/datasets/radial_profile.hpp"

namespace penumbra {

struct ProfileMethod {
  std::string name;
  RadialProfile profile;
};

struct ProfileFeature {
  bool ring = true;             // ring (maximum) or gap (minimum)
  double truth_radius = 0;      // radians
  std::vector<double> radius;   // per method, in ProfileComparison::methods order, radians
};

struct ProfileComparison {
  double beam_fwhm = 0;           // radians (geometric mean of the clean beam's axes)
  RadialProfile truth;
  std::vector<ProfileMethod> methods;
  std::vector<double> band_lo, band_hi;  // posterior samples' 16th / 84th percentile per bin (empty: none)
  double band_coverage = 0;       // share of non-empty bins whose truth lies in [band_lo, band_hi]
  std::vector<ProfileFeature> features;
};

struct ProfileRequest {
  DiskOrientation disk;
  double beam_fwhm = 0;    // radians
  double bin_width = 0;    // radians (0: a quarter of the beam)
  double max_radius = 0;   // radians (0: the largest radius the grid reaches along the minor axis)
};

struct NamedImage {
  std::string name;
  std::vector<double> pixels;  // [ny][nx] Jy/pixel
};

// Profiles in Jy/sr of the truth, of `images` and (when given) of the posterior
// `samples`, on `grid`. UsageError for a non-positive beam, an image of another
// size, or a single sample (no band).
ProfileComparison compare_profiles(const std::vector<double>& truth, const std::vector<NamedImage>& images,
                                   const std::vector<std::vector<double>>& samples, const ImageGrid& grid,
                                   const ProfileRequest& request);

// "INC,PA" (angles; bare numbers are degrees), e.g. "35deg,86deg". UsageError otherwise.
DiskOrientation parse_disk_orientation(const std::string& text);

// Writes radial_profile.csv (radius, truth, every method, band), radial_features.csv
// (kind, truth radius, each method's radius and error in beams) and radial_profile.png
// (the profiles in mJy/arcsec² against radius in arcsec) into `dir`; returns the
// features and band coverage as JSON.
nlohmann::json write_profile_comparison(const std::filesystem::path& dir, const ProfileComparison& c);

}  // namespace penumbra
