#pragma once
// Comma-separated tables as pandas writes them (RFC 4180): fields in double
// quotes may hold commas, newlines and doubled quotes (""); the first record
// is the header. The annotation files of Radio Galaxy Zoo EMU are read with it.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace penumbra::semantics {

struct CsvTable {
  std::string source;                           // file name (or "text") for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;   // every row has header.size() fields

  // Index of the column called `name`; DataError naming the file and its
  // columns when there is none.
  std::size_t column(std::string_view name) const;
};

// Parses `text`; DataError for an unterminated quote or a row whose field
// count differs from the header's (with its line number).
CsvTable parse_csv(std::string_view text, const std::string& source = "text");
// A field as written back: quoted (quotes doubled) when it holds a comma, a
// quote or a line break.
std::string csv_field(std::string_view field);

// MissingInputError when `path` cannot be read.
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace penumbra::semantics
