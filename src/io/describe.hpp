#pragma once
// Summaries of data files for `penumbra info`: one describe function per file
// format, chosen through a small explicit table (describers()) by what the
// path looks like. Each summary carries the same facts twice: lines for people
// and a JSON object for programs (`penumbra info --json`).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace penumbra {

struct FileDescription {
  std::string path;
  std::string format;  // "MeasurementSet", "uvtable", "HDF5", "FITS"
  struct Line {
    std::string label;  // e.g. "uv range"
    std::string text;   // e.g. "11.6 – 1916 kλ"
  };
  std::vector<Line> lines;
  // Keys used by every format where they apply (absent otherwise):
  //   rows, channels, frequency_range_hz [lo, hi] (null when unknown),
  //   uv_range_klambda [lo, hi], flagged_fraction, weight {min, median, max},
  //   correlations [names], fields [...], spectral_windows [...],
  //   phase_centre {ra_rad, dec_rad}, image {shape, wcs ...}.
  nlohmann::ordered_json json = nlohmann::ordered_json::object();

  // Adds one fact to both views.
  void add(const std::string& key, const std::string& label, const std::string& text, nlohmann::ordered_json value) {
    lines.push_back({label, text});
    json[key] = std::move(value);
  }
  void add_line(const std::string& label, const std::string& text) { lines.push_back({label, text}); }
};

// One entry of the dispatch table.
struct Describer {
  const char* name;                                           // "MeasurementSet", ...
  bool (*matches)(const std::filesystem::path&);              // by suffix / directory layout
  FileDescription (*describe)(const std::filesystem::path&);  // throws DataError / MissingInputError
};

// The describe functions. Each throws MissingInputError for a missing path and
// DataError (one line naming the file) for a file it cannot read.
FileDescription describe_measurement_set(const std::filesystem::path& path);  // src/io/measurement_set.cpp
FileDescription describe_uvtable(const std::filesystem::path& path);          // src/io/describe.cpp
// HDF5 (.h5, .hdf5) and FITS (.fits, .fit, .fts, .fits.gz): src/io/describe_hdf5_fits.cpp.
FileDescription describe_hdf5(const std::filesystem::path& path);
FileDescription describe_fits(const std::filesystem::path& path);

// The table, in the order entries are tried.
const std::vector<Describer>& describers();

// Describes `path` with the first matching entry. Throws MissingInputError
// when it does not exist and DataError ("unsupported file type") when no entry matches.
FileDescription describe_file(const std::filesystem::path& path);

// Formatting shared by the describe functions: RA as "16h17m49.28s (244.455°)"
// (wrapped into [0, 360°)), Dec as "-77°17'18.5\"", a uv distance in kλ with
// digits that suit its size ("11.6", "1916", "0.0523").
std::string format_ra(double ra_rad);
std::string format_dec(double dec_rad);
std::string format_klambda(double klambda);

// True for a directory that holds a casacore table with a SPECTRAL_WINDOW subtable.
bool looks_like_measurement_set(const std::filesystem::path& path);
// True for names ending in .txt, .txt.bz2, .txt.gz, .uvtable(.bz2|.gz), .dat(.bz2|.gz).
bool looks_like_uvtable(const std::filesystem::path& path);

}  // namespace penumbra
