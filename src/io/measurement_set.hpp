#pragma once
// CASA MeasurementSets (v2) through casacore.
// Reading: DATA or CORRECTED_DATA, FLAG and FLAG_ROW, WEIGHT_SPECTRUM when it
// exists and holds data else WEIGHT (broadcast over channels), UVW, CHAN_FREQ
// through DATA_DESCRIPTION → SPECTRAL_WINDOW, CORR_TYPE through POLARIZATION,
// PHASE_DIR from FIELD. One field and one spectral window per Observation;
// read_measurement_set_windows returns several windows of one field.
// Stored data follow the CASA sign convention; they are conjugated on read and
// write (see src/core/observation.hpp).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/core/observation.hpp"

namespace penumbra {

struct MsSelection {
  std::string column = "DATA";  // or CORRECTED_DATA, MODEL_DATA
  int field = -1;               // FIELD_ID; -1: the first field that has rows
  int spw = -1;                 // SPECTRAL_WINDOW_ID; -1: the first spectral window that has rows
};

Observation read_measurement_set(const std::filesystem::path& path, const MsSelection& sel = {});

// One spectral window of one field, as read_measurement_set returns it.
struct MsWindow {
  int spw = -1, field = -1;
  Observation obs;
};
// The spectral windows `spws` (empty: every window with rows) of one field
// (sel.field, or the first field with unflagged rows in any window; sel.spw is
// ignored). Windows must share their polarisation setup and frequency reference
// frame, since their channels are combined: a mismatch throws DataError naming
// the two windows.
std::vector<MsWindow> read_measurement_set_windows(const std::filesystem::path& path, const MsSelection& sel,
                                                   const std::vector<int>& spws = {});
// The same, one window at a time: `take` gets each window as it is read, so
// only one window's samples are in memory at once. The windows are checked
// against each other before the first is read.
void for_each_measurement_set_window(const std::filesystem::path& path, const MsSelection& sel,
                                     const std::vector<int>& spws, const std::function<void(MsWindow&&)>& take);
// A complete MS (all required subtables filled: ANTENNA, FIELD, SPECTRAL_WINDOW,
// POLARIZATION, DATA_DESCRIPTION, OBSERVATION, FEED, STATE, POINTING empty, ...)
// that python3-casacore, CASA and WSClean open. Needs antenna1/2, time and
// antenna_xyz in `obs`. Written to `path.tmp` and renamed.
void write_measurement_set(const std::filesystem::path& path, const Observation& obs);
// The same with one spectral window (and data description) per Observation;
// the windows share antennas, field and telescope (taken from the first) and
// may differ in rows, channels and correlations.
void write_measurement_set(const std::filesystem::path& path, const std::vector<Observation>& windows);

}  // namespace penumbra
