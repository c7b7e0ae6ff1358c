#include "src/core/run_folder.hpp"

#include <cstdlib>
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "penumbra/version.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"

namespace penumbra {
namespace {
std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

void write_text_atomic(const std::filesystem::path& path, const std::string& text) {
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) throw DataError("cannot write " + tmp.string());
  });
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw MissingInputError("cannot open " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

RunFolder::RunFolder(std::filesystem::path dir, const std::string& command, std::uint64_t seed, int threads,
                     const std::string& config_text)
    : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw UsageError(fmt::format("cannot create output folder {}: {}", dir_.string(), ec.message()));
  write_text_atomic(path("config.toml"), config_text);
  const char* wait = std::getenv("OMP_WAIT_POLICY");  // see main.cpp: PASSIVE unless the user chose
  nlohmann::json run = {{"command", command}, {"seed", seed},        {"version", kVersion},
                        {"threads", threads}, {"started", now_iso()}, {"omp_wait_policy", wait ? wait : ""}};
  write_text_atomic(path("run.json"), run.dump(2) + "\n");
  log_to_file(path("run.log").string());
  log().info("penumbra {} {} → {}", kVersion, command, dir_.string());
}

void RunFolder::finish(const nlohmann::json& results) {
  auto run = nlohmann::json::parse(read_text(path("run.json")));
  run["finished"] = now_iso();
  if (!results.is_null()) run["results"] = results;
  write_text_atomic(path("run.json"), run.dump(2) + "\n");
}

}  // namespace penumbra
