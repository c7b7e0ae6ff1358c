// `penumbra info FILE`: a summary of a data file (MeasurementSet, uvtable, and
// HDF5/FITS once their describe functions are in the table of
// src/io/describe.cpp). A query, not a run: it prints and writes no run folder.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "src/cli/commands.hpp"
#include "src/io/describe.hpp"

namespace penumbra::cli {

Runner add_info(CLI::App& root) {
  struct Options {
    std::string file;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  auto* app = root.add_subcommand(
      "info", "Summarise a data file: MeasurementSet (directory), uvtable (.txt, .txt.bz2, .txt.gz), HDF5, FITS");
  app->add_option("file", opt->file, "The file or MeasurementSet directory")->required();
  app->add_flag("--json", opt->json, "Print the summary as one JSON object instead of text");
  return [opt](Context&) {
    FileDescription d = describe_file(opt->file);
    if (opt->json) {
      nlohmann::ordered_json j;
      j["file"] = d.path;
      j["format"] = d.format;
      for (auto& [k, v] : d.json.items()) j[k] = v;
      fmt::print("{}\n", j.dump(2));
      return;
    }
    std::size_t width = 0;
    for (auto& l : d.lines) width = std::max(width, l.label.size());
    fmt::print("{}: {}\n", d.format, d.path);
    for (auto& l : d.lines) fmt::print("  {:<{}}  {}\n", l.label, width, l.text);
  };
}

}  // namespace penumbra::cli
