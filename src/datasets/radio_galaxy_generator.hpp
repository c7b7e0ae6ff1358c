#pragma once
// Seeded synthetic Fanaroff–Riley radio galaxies, the embedded default data set
// so classifiers train and test without ../shared. Each source is a sum of
// elliptical Gaussians (core, a chain of jet knots, lobes) convolved analytically
// with a circular FIRST-like beam (5″ FWHM at 1.8″/px), plus Gaussian noise, then
// preprocessed like MiraBest: pixels below `clip_sigma`·noise set to 0 and the
// image scaled to a peak of 1.
//   FRI  (class 0): edge-darkened — bright core and inner jets whose knots fade and
//                   widen outwards into plumes, sometimes bent (wide-angle/head-tail).
//   FRII (class 1): edge-brightened — faint core and jets, lobes that end in compact
//                   hotspots at the outer edge, the brightest emission far from the core.
// Image i depends only on (seed, i): the same seed gives the same images at any count.
#include <cstdint>
#include <string>
#include <vector>

#include "src/datasets/labelled_images.hpp"

namespace penumbra {

struct RadioGalaxyOptions {
  int size = 150;                 // pixels per side
  double pixel_arcsec = 1.8;      // FIRST/MiraBest pixel scale
  double beam_fwhm_arcsec = 5.0;  // FIRST beam
  double noise = 0.01;            // rms noise relative to the brightest component before scaling
  double clip_sigma = 3.0;        // MiraBest-style sigma clipping (0: keep noise)
  double min_extent_px = 12, max_extent_px = 55;  // core-to-edge length of each side
};

// What an image is made of, as drawn: the truth that component tags are read
// from (a multi-label target that needs no annotator).
struct RadioGalaxyComponents {
  double core = 0;      // core peak over the brightest other component's peak (before the beam)
  bool jets = false;    // a chain of knots bright enough to survive the clipping (FRI)
  bool lobes = false;   // lobes ending in hotspots (FRII)
  double bend = 0;      // FRI: the angle (rad) each tail turns through by its end; 0 for FRII
  double extent = 0;    // core-to-edge length, px
};
// The component tags in their fixed order, and which of them an image has:
// core (core ≥ 0.25 of the brightest component), jets, lobes, bent (|bend| ≥ 0.5 rad).
const std::vector<std::string>& radio_galaxy_tag_names();
std::vector<bool> radio_galaxy_tags(const RadioGalaxyComponents& c);

// `n` images, classes alternating 0,1,0,1,... (balanced), labels FRI/FRII.
LabelledImages generate_radio_galaxies(std::size_t n, std::uint64_t seed, const RadioGalaxyOptions& opt = {});
// One image into `out` (size·size floats), class `fr_class` (0 FRI, 1 FRII), from
// stream `index`; returns what it drew.
RadioGalaxyComponents render_radio_galaxy(float* out, int fr_class, std::uint64_t seed, std::uint64_t index,
                         const RadioGalaxyOptions& opt = {});

}  // namespace penumbra
