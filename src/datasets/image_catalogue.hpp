#pragma once
// Image catalogues: a CSV with one row per image (an id, the image's path
// relative to the CSV, optionally a label and volunteer-vote columns), as
// Galaxy Zoo / Zoobot catalogues are written. The images (JPEG or PNG, colour
// or grey) are decoded in parallel, centre-cropped to a fraction of their
// shorter side and resized to S×S (area averaging; bilinear when enlarging),
// RGB or grey. Rows are kept in file order. Format and errors: docs/formats.md.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace penumbra {

struct CatalogueOptions {
  int size = 64;                          // output side S (pixels)
  double crop = 1.0;                      // centre crop: this fraction of the shorter side, in (0, 1]
  int channels = 3;                       // 3: R, G, B (grey files repeated); 1: luminance
  std::string id_column;                  // empty: "id", else "id_str" (Galaxy Zoo DECaLS)
  std::string file_column = "file_loc";   // path relative to the CSV's folder (or absolute)
  std::string label_column;               // empty: no labels (every label −1)
  bool binary_label = true;               // labels must be 0 or 1 (else any integer ≥ 0)
  // Column names, or patterns with * and ? ("*_fraction", "*_total-votes"),
  // each matching at least one column; columns keep the CSV's order.
  std::vector<std::string> vote_columns;
  int threads = 0;                        // decoding threads (0: the process's thread budget)
};

struct CatalogueImages {
  std::vector<float> images;  // [N][C][S][S], values in [0, 1], row 0 = top of the picture
  std::int64_t count = 0;
  int channels = 0;
  int size = 0;
  std::vector<std::string> ids;
  std::vector<int> labels;                // −1 = none (no label column, or an empty cell)
  std::vector<std::string> vote_columns;
  std::vector<double> votes;              // [N][V], NaN = missing
};

// DataError (MissingInputError for a missing file) in one line naming the CSV
// line and id, or the column: a missing id/file/label/vote column, a pattern
// matching none, an id that repeats, a label that is not an integer (not 0/1
// when binary), a vote that is not a number, negative, a non-integer count or
// a fraction outside [0, 1] (columns named *fraction are fractions, the others
// counts; an empty or NaN cell is missing), an image that is missing,
// unreadable or not JPEG/PNG. UsageError naming the option for bad options.
CatalogueImages load_catalogue(const std::filesystem::path& csv, const CatalogueOptions& opt);

}  // namespace penumbra
