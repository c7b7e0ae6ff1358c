#include "src/nn/ensemble.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"

namespace penumbra {

namespace fs = std::filesystem;

std::int64_t ClassifierEnsemble::weight_count() const {
  std::int64_t n = 0;
  for (const auto& m : members) n += m->weight_count();
  return n;
}

fs::path ClassifierEnsemble::member_dir(const fs::path& dir, std::size_t m) {
  return dir / fmt::format("member-{}", m);
}

void ClassifierEnsemble::write_manifest(const fs::path& dir, std::size_t members) {
  write_text_atomic(dir / "ensemble.json", nlohmann::json({{"members", members}}).dump(2) + "\n");
}

ClassifierEnsemble ClassifierEnsemble::load(const fs::path& dir, const std::string& expected_backbone) {
  ClassifierEnsemble e;
  const auto manifest = dir / "ensemble.json";
  if (!fs::exists(manifest)) {
    e.members.push_back(Classifier::load(dir, expected_backbone));
    return e;
  }
  std::size_t M = 0;
  try {
    M = nlohmann::json::parse(read_text(manifest)).at("members").get<std::size_t>();
  } catch (const nlohmann::json::exception& ex) {
    throw DataError(fmt::format("{}: not an ensemble manifest ({})", manifest.string(), ex.what()));
  }
  if (M < 1) throw DataError(fmt::format("{}: an ensemble needs at least one member", manifest.string()));
  for (std::size_t m = 0; m < M; ++m) {
    e.members.push_back(Classifier::load(member_dir(dir, m), expected_backbone));
    const auto& a = e.members.front()->config();
    const auto& b = e.members.back()->config();
    if (b.backbone != a.backbone || b.image_size != a.image_size || b.class_names != a.class_names ||
        b.bayesian != a.bayesian)
      throw DataError(fmt::format("{}: member {} is a {} {} model of {} px, member 0 a {} {} model of {} px",
                                  dir.string(), m, b.bayesian ? "Bayesian" : "deterministic", b.backbone,
                                  b.image_size, a.bayesian ? "Bayesian" : "deterministic", a.backbone,
                                  a.image_size));
  }
  return e;
}

}  // namespace penumbra
