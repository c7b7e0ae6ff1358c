// penumbra classify shift --model DIR --a SET --b SET [--data mirabest:DIR] [--replicates R] [--level L]
//   SET: a MiraBest subset (confident, uncertain, hybrid, all) or synthetic (the seeded
//   FRI/FRII generator, --n-synthetic images). Images are cropped and binned as the model
//   was trained; the features are the input of its final dense layer at the weight means.
//   → shift.json (d², bias-corrected d², basic bootstrap interval, replicate sd, N, feature dim)
#include "src/cli/classify_shift_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/mirabest.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/dataset_shift.hpp"

namespace penumbra::cli {

namespace {

struct ShiftOptions {
  std::string model, a, b, data;
  int n_synthetic = 400;
  DatasetShiftOptions shift;
};

void check_set(const std::string& set, const std::string& flag) {
  if (set == "synthetic") return;
  try {
    parse_mirabest_subset(set);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{} '{}' unknown; expected confident, uncertain, hybrid, all or synthetic", flag, set));
  }
}

// The model's own data settings (crop, bin, batches, synthetic side), so the images fit it.
ClassifierDataOptions data_for(const ClassifierConfig& cfg, const ShiftOptions& o, const std::string& set) {
  const auto& x = cfg.extra;
  ClassifierDataOptions d;
  d.data = set == "synthetic" ? "synthetic" : (o.data.empty() ? x.value("data", d.data) : o.data);
  if (set != "synthetic" && d.data.rfind("mirabest:", 0) != 0)
    throw UsageError(fmt::format("set '{}' is a MiraBest subset: give --data mirabest:DIR", set));
  d.batches = x.value("batches", d.batches);
  d.n_synthetic = o.n_synthetic;
  d.synthetic_size = x.value("synthetic_size", d.synthetic_size);
  d.crop = x.value("crop", d.crop);
  d.bin = x.value("bin", d.bin);
  return d;
}

void run_shift(const ShiftOptions& o, Context& ctx) {
  check_set(o.a, "--a");
  check_set(o.b, "--b");
  require_at_least("--replicates", o.shift.replicates, 2);
  if (!(o.shift.level > 0 && o.shift.level < 1)) throw UsageError(fmt::format("--level {} not in (0, 1)", o.shift.level));
  auto model = Classifier::load(o.model);
  // Distinct generator streams, so `--a synthetic --b synthetic` compares two independent draws.
  auto a = read_labelled_images(data_for(model->config(), o, o.a), o.a, derive_seed(ctx.seed(), 1));
  auto b = read_labelled_images(data_for(model->config(), o, o.b), o.b, derive_seed(ctx.seed(), 2));
  auto s = dataset_shift(*model, a, b, o.shift, ctx.seed());
  const auto& f = s.frechet;
  auto& run = ctx.run("classify-shift");
  nlohmann::json j = {{"a", o.a},           {"b", o.b},
                      {"n_a", s.n_a},       {"n_b", s.n_b},
                      {"feature_dim", s.dim}, {"frechet_distance", f.distance},
                      {"bias_corrected", f.bias_corrected}, {"lower", f.lower},
                      {"upper", f.upper},   {"level", f.level},
                      {"bootstrap_sd", f.bootstrap_sd}, {"replicates", f.replicates}};
  write_text_atomic(run.dir() / "shift.json", j.dump(2) + "\n");
  fmt::print("Fréchet distance {} ({}) vs {} ({}) in {} features: d² = {:.4g} (bias-corrected {:.4g}), "
             "{:g}% interval [{:.4g}, {:.4g}], bootstrap sd {:.3g}\n",
             o.a, s.n_a, o.b, s.n_b, s.dim, f.distance, f.bias_corrected, 100 * f.level, f.lower, f.upper,
             f.bootstrap_sd);
  run.finish(j);
}

}  // namespace

Runner add_classify_shift(CLI::App* classify) {
  auto o = std::make_shared<ShiftOptions>();
  auto* c = classify->add_subcommand(
      "shift", "Fréchet distance between two image sets in a trained model's feature space, with a bootstrap interval");
  c->add_option("--model", o->model, "Model folder (a train run): its features are the space")->required();
  c->add_option("--a", o->a, "First set: confident, uncertain, hybrid, all (MiraBest) or synthetic")->required();
  c->add_option("--b", o->b, "Second set, as --a")->required();
  c->add_option("--data", o->data, "mirabest:DIR for MiraBest sets (default: the model's)");
  c->add_option("--n-synthetic", o->n_synthetic, "Images of a synthetic set")->capture_default_str();
  c->add_option("--replicates", o->shift.replicates, "Bootstrap replicates")->capture_default_str();
  c->add_option("--level", o->shift.level, "Interval level")->capture_default_str();
  return [o, c](Context& ctx) {
    if (c->parsed()) run_shift(*o, ctx);
  };
}

}  // namespace penumbra::cli
