#include "src/datasets/image_catalogue.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/threads.hpp"
#include "src/datasets/image_resize.hpp"
#include "src/io/rgb_image.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

struct Table {
  std::string source;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // the file line of each row (the header is line 1)
};

// One CSV record on one line: fields may be quoted ("a,b", doubled quotes).
std::vector<std::string> split_record(const std::string& line, const std::string& where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw DataError(fmt::format("{}: unterminated quote", where));
  return fields;
}

Table read_table(const fs::path& csv) {
  std::ifstream in(csv, std::ios::binary);
  if (!in) throw MissingInputError(fmt::format("{}: cannot read the image catalogue", csv.string()));
  Table t;
  t.source = csv.string();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto fields = split_record(line, fmt::format("{}: line {}", t.source, n));
    if (t.header.empty()) {
      t.header = std::move(fields);
      continue;
    }
    if (fields.size() != t.header.size())
      throw DataError(fmt::format("{}: line {}: {} fields, the header has {}", t.source, n, fields.size(),
                                  t.header.size()));
    t.rows.push_back(std::move(fields));
    t.lines.push_back(n);
  }
  if (t.header.empty()) throw DataError(fmt::format("{}: empty image catalogue", t.source));
  if (t.rows.empty()) throw DataError(fmt::format("{}: the image catalogue has no rows", t.source));
  return t;
}

std::size_t column(const Table& t, const std::string& name, const std::string& role) {
  auto it = std::find(t.header.begin(), t.header.end(), name);
  if (it == t.header.end())
    throw DataError(fmt::format("{}: no {} column '{}' (columns: {})", t.source, role, name, fmt::join(t.header, ", ")));
  return static_cast<std::size_t>(it - t.header.begin());
}

std::size_t id_column(const Table& t, const std::string& name) {
  if (!name.empty()) return column(t, name, "id");
  for (const char* guess : {"id", "id_str"}) {
    auto it = std::find(t.header.begin(), t.header.end(), guess);
    if (it != t.header.end()) return static_cast<std::size_t>(it - t.header.begin());
  }
  throw DataError(fmt::format("{}: no id column 'id' or 'id_str' (columns: {})", t.source, fmt::join(t.header, ", ")));
}

// The columns each name or pattern matches, in the CSV's order, each once.
std::vector<std::size_t> vote_columns(const Table& t, const std::vector<std::string>& patterns) {
  std::vector<bool> take(t.header.size(), false);
  for (const auto& p : patterns) {
    bool any = false;
    for (std::size_t j = 0; j < t.header.size(); ++j)
      if (fnmatch(p.c_str(), t.header[j].c_str(), 0) == 0) take[j] = any = true;
    if (!any)
      throw DataError(
          fmt::format("{}: no vote column matches '{}' (columns: {})", t.source, p, fmt::join(t.header, ", ")));
  }
  std::vector<std::size_t> cols;
  for (std::size_t j = 0; j < take.size(); ++j)
    if (take[j]) cols.push_back(j);
  return cols;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

double parse_vote(const std::string& cell, const std::string& name, const std::string& where) {
  if (cell.empty() || cell == "nan" || cell == "NaN" || cell == "NA") return std::numeric_limits<double>::quiet_NaN();
  std::size_t used = 0;
  double v = std::numeric_limits<double>::quiet_NaN();
  try {
    v = std::stod(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != cell.size() || !std::isfinite(v))
    throw DataError(fmt::format("{}: vote column '{}': '{}' is not a number", where, name, cell));
  if (ends_with(name, "fraction")) {
    if (v < 0 || v > 1) throw DataError(fmt::format("{}: vote fraction '{}' is {}, not in [0, 1]", where, name, cell));
  } else if (v < 0 || v != std::floor(v)) {
    throw DataError(fmt::format("{}: vote count '{}' is {}, not a whole number ≥ 0", where, name, cell));
  }
  return v;
}

int parse_label(const std::string& cell, const std::string& name, bool binary, const std::string& where) {
  if (cell.empty()) return -1;
  std::size_t used = 0;
  int v = -1;
  try {
    v = std::stoi(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != cell.size() || v < 0 || (binary && v > 1))
    throw DataError(fmt::format("{}: label column '{}' is '{}'; expected {}", where, name, cell,
                                binary ? "0 or 1" : "an integer ≥ 0"));
  return v;
}

// One image → [C][S][S] at `out`. Decoding may shrink JPEGs by 2–8 as long
// as the crop still covers S pixels.
void decode_one(const fs::path& file, const CatalogueOptions& opt, float* out) {
  if (!fs::exists(file)) throw MissingInputError(fmt::format("image {} not found", file.string()));
  const int min_side = static_cast<int>(std::ceil(opt.size / opt.crop));
  const auto img = read_rgb_image(file, min_side);
  const std::size_t plane = static_cast<std::size_t>(opt.size) * opt.size;
  if (opt.channels == 1) {
    auto grey = luminance(img);
    auto r = crop_resize(grey.data(), img.height, img.width, opt.crop, opt.size);
    std::copy(r.begin(), r.end(), out);
    return;
  }
  const std::size_t in_plane = static_cast<std::size_t>(img.height) * img.width;
  for (int c = 0; c < 3; ++c) {
    const float* src = img.pixels.data() + (img.channels == 1 ? 0 : c * in_plane);
    auto r = crop_resize(src, img.height, img.width, opt.crop, opt.size);
    std::copy(r.begin(), r.end(), out + c * plane);
  }
}

// Decodes every file on `threads` threads; the first error found (prefixed
// with its row's `where`) is rethrown once all threads have stopped.
void decode_all(const std::vector<fs::path>& files, const std::vector<std::string>& where,
                const CatalogueOptions& opt, std::vector<float>& images) {
  const std::size_t per = static_cast<std::size_t>(opt.channels) * opt.size * opt.size;
  images.assign(files.size() * per, 0.0f);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(files.size());
  auto work = [&] {
    for (std::size_t i; !failed && (i = next++) < files.size();) {
      try {
        decode_one(files[i], opt, images.data() + i * per);
      } catch (const MissingInputError& e) {
        errors[i] = std::make_exception_ptr(MissingInputError(fmt::format("{}: {}", where[i], e.what())));
      } catch (const std::exception& e) {
        errors[i] = std::make_exception_ptr(DataError(fmt::format("{}: {}", where[i], e.what())));
      }
      if (errors[i]) failed = true;
    }
  };
  const int n = std::max(1, std::min<int>(opt.threads > 0 ? opt.threads : thread_count(), int(files.size())));
  std::vector<std::thread> pool;
  for (int k = 1; k < n; ++k) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void check_options(const CatalogueOptions& opt) {
  require_at_least("image size", opt.size, 1);
  if (!(opt.crop > 0 && opt.crop <= 1)) fail_check("crop fraction", "in (0, 1]", opt.crop);
  if (opt.channels != 1 && opt.channels != 3) fail_check("channels", "1 or 3", opt.channels);
  require_at_least("threads", opt.threads, 0);
}

}  // namespace

CatalogueImages load_catalogue(const fs::path& csv, const CatalogueOptions& opt) {
  check_options(opt);
  const Table t = read_table(csv);
  const std::size_t id_col = id_column(t, opt.id_column), file_col = column(t, opt.file_column, "file");
  const std::size_t label_col = opt.label_column.empty() ? 0 : column(t, opt.label_column, "label");
  const auto vote_cols = vote_columns(t, opt.vote_columns);
  CatalogueImages out;
  out.count = static_cast<std::int64_t>(t.rows.size());
  out.channels = opt.channels;
  out.size = opt.size;
  for (auto j : vote_cols) out.vote_columns.push_back(t.header[j]);
  std::vector<fs::path> files;
  std::vector<std::string> where;
  std::map<std::string, int> first_line;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    where.push_back(fmt::format("{}: line {} (id {})", t.source, t.lines[i], row[id_col]));
    if (row[id_col].empty()) throw DataError(fmt::format("{}: line {}: empty id", t.source, t.lines[i]));
    auto [it, fresh] = first_line.emplace(row[id_col], t.lines[i]);
    if (!fresh) throw DataError(fmt::format("{}: id repeats line {}", where.back(), it->second));
    if (row[file_col].empty()) throw DataError(fmt::format("{}: empty '{}'", where.back(), opt.file_column));
    out.ids.push_back(row[id_col]);
    out.labels.push_back(opt.label_column.empty()
                             ? -1
                             : parse_label(row[label_col], opt.label_column, opt.binary_label, where.back()));
    for (auto j : vote_cols) out.votes.push_back(parse_vote(row[j], t.header[j], where.back()));
    files.push_back(csv.parent_path() / row[file_col]);
  }
  decode_all(files, where, opt, out.images);
  return out;
}

}  // namespace penumbra
