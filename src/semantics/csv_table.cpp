#include "src/semantics/csv_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

#include "src/core/errors.hpp"

namespace penumbra::semantics {

namespace {

// Reads one record starting at `pos`; returns false at the end of the text.
// `line` counts physical lines so that messages point into the file.
bool next_record(std::string_view text, std::size_t& pos, std::size_t& line, std::vector<std::string>& fields,
                 const std::string& source) {
  fields.clear();
  if (pos >= text.size()) return false;
  const std::size_t first_line = line;
  std::string field;
  bool quoted = false, was_quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
      ++line;
      break;
    } else {
      field += c;
    }
  }
  if (quoted)
    throw DataError(fmt::format("{}: line {}: a quoted field is not closed", source, first_line));
  fields.push_back(std::move(field));
  return true;
}

}  // namespace

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw DataError(fmt::format("{} has no column '{}' (columns: {})", source, name, fmt::join(header, ", ")));
}

CsvTable parse_csv(std::string_view text, const std::string& source) {
  CsvTable table;
  table.source = source;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  std::size_t pos = 0, line = 1;
  std::vector<std::string> fields;
  if (!next_record(text, pos, line, fields, source)) throw DataError(fmt::format("{} is empty", source));
  table.header = fields;
  while (true) {
    const std::size_t at = line;
    if (!next_record(text, pos, line, fields, source)) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != table.header.size())
      throw DataError(fmt::format("{}: line {}: {} fields, the header has {}", source, at, fields.size(),
                                  table.header.size()));
    table.rows.push_back(fields);
  }
  return table;
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path.string());
}

}  // namespace penumbra::semantics
