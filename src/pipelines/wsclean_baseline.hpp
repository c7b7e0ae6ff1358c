#pragma once
// WSClean's CLEAN of the same MeasurementSet as one more row of a comparison
// (comparison.hpp): an independent imager, run as an external program when it is
// installed and starts. Debian's wsclean refuses an OpenMP OpenBLAS, so it is
// started against the pthread build when that is present.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "instruments/weighting.hpp"
#include "src/io/visibility_selection.hpp"
#include "src/pipelines/comparison.hpp"

namespace penumbra {

class PlannedObservation;

struct WscleanRequest {
  std::vector<std::string> ms;    // the MeasurementSets, imaged together (wsclean's MFS of all channels)
  std::filesystem::path dir;      // where wsclean writes (created)
  WeightingOptions weighting;
  CleanOptions clean;             // niter, gain, major gain, threshold, multiscale
  std::string column = "DATA";
  std::vector<int> spws;          // empty: all
  UvRange uv;                     // the same uv range as Penumbra's read
};

struct WscleanOutcome {
  std::optional<ComparisonRow> row;  // scored like the other methods, when wsclean ran
  std::string command;               // what ran
  std::string skipped;               // why not, when it did not
};

WscleanOutcome wsclean_baseline(const WscleanRequest& request, const PlannedObservation& obs,
                                const std::vector<double>& truth);

// An image of a FITS file checked against `grid` (size and cell); UsageError naming `what` otherwise.
std::vector<double> read_image_on(const std::string& path, const ImageGrid& grid, const std::string& what);

}  // namespace penumbra
