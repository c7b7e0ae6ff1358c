#pragma once
// CASA MeasurementSets (v2) through casacore.
// Reading: DATA or CORRECTED_DATA, FLAG and FLAG_ROW, WEIGHT_SPECTRUM when it
// exists and holds data else WEIGHT (broadcast over channels), UVW, CHAN_FREQ
// through DATA_DESCRIPTION → SPECTRAL_WINDOW, CORR_TYPE through POLARIZATION,
// PHASE_DIR from FIELD. One field and one spectral window per Observation.
// Stored data follow the CASA sign convention; they are conjugated on read and
// write (see src/core/observation.hpp).
#include <filesystem>
#include <string>

#include "src/core/observation.hpp"

namespace penumbra {

struct MsSelection {
  std::string column = "DATA";  // or CORRECTED_DATA, MODEL_DATA
  int field = -1;               // FIELD_ID; -1: the first field that has rows
  int spw = -1;                 // SPECTRAL_WINDOW_ID; -1: the first spectral window that has rows
};

Observation read_measurement_set(const std::filesystem::path& path, const MsSelection& sel = {});
// A complete MS (all required subtables filled: ANTENNA, FIELD, SPECTRAL_WINDOW,
// POLARIZATION, DATA_DESCRIPTION, OBSERVATION, FEED, STATE, POINTING empty, ...)
// that python3-casacore, CASA and WSClean open. Needs antenna1/2, time and
// antenna_xyz in `obs`. Written to `path.tmp` and renamed.
void write_measurement_set(const std::filesystem::path& path, const Observation& obs);

}  // namespace penumbra
