// penumbra classify: Bayesian radio-galaxy classifiers (train, eval, predict)
// and the studies built on them (cold-posterior sweep, pruning).
//
//   classify train   --data mirabest:DIR|synthetic --subset confident --backbone lenet|attention|equivariant
//                    [--deterministic] --prior SPEC --temperature T --tempering partial|full --epochs E
//                    → the run folder is the model folder (config.json + weights.pt), plus metrics.json
//                      on the validation split, reliability.png and train_log.csv
//   classify eval    --model DIR --data ... [--split val|train|all] --samples K → metrics.json, reliability.png
//   classify predict --model DIR IMAGE... (FITS or PNG) → predictions.json (+ attention_<i>.png)
//   classify temperature-sweep ... --temperatures 1,1e-1,...  → temperature_sweep.csv/.png, one model per T
//   classify prune   --model DIR --data ... --fractions ... --rankings snr,fisher → pruning.csv/.png
//   classify cross-validate --folds K [train options] → fold-<k>/ (a model folder each), cross_validation.csv,
//                      metrics.json + reliability.png pooled over every image's out-of-fold prediction;
//                      --fold k trains fold k alone (parallel processes), --resume then pools
#include <fmt/format.h>
#include <png.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "priors/weight_priors.hpp"
#include "samplers/variational.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/statistics.hpp"
#include "src/datasets/augment.hpp"
#include "src/datasets/mirabest.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/diagnostics/calibration.hpp"
#include "src/diagnostics/pruning.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/png.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/ensemble.hpp"

namespace penumbra::cli {
// A named namespace, not an anonymous one: the CLI is a unity build, and
// helper names like DataOptions would collide with other commands' helpers.
namespace classify_cmd {

namespace fs = std::filesystem;

struct DataOptions {
  std::string data = "synthetic";  // mirabest:DIR | synthetic
  std::string subset = "confident";
  std::string extra_train;         // a further MiraBest subset added to the training side only
  std::string batches = "1,2,3,4,5,6,7";
  int n_synthetic = 400;
  int synthetic_size = 150;
  int crop = 0;                 // 0: full images
  int bin = 1;                  // area-average binning after the crop
  double val_fraction = 0.2;
  int folds = 0, fold = 0;      // cross-validation: validate on fold `fold` of `folds` (0: use val_fraction)
  std::string split = "val";    // eval: val | train | all
};

struct TrainOptions {
  std::string backbone = "lenet", group = "D4", prior = "gaussian", tempering = "partial";
  bool deterministic = false, augment = true;
  double temperature = 1.0, lr = 1e-3, rho_init = -5.0;
  int epochs = 10, batch = 16, mc_kl = 1, eval_samples = 20;
  int ensemble = 1;          // members of a deep ensemble (src/nn/ensemble.hpp)
  std::string tta = "none";  // test-time augmentation of the final validation metrics
};

std::vector<double> parse_doubles(const std::string& s, const std::string& what) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stod(tok, &used));
      if (used != tok.size()) throw std::invalid_argument("x");
    } catch (const std::exception&) {
      throw UsageError(fmt::format("{} '{}': '{}' is not a number", what, s, tok));
    }
  }
  if (out.empty()) throw UsageError(fmt::format("{} is empty", what));
  return out;
}

// Every training option that can be checked without data, so that a bad one
// stops with a usage error before the run folder exists (nothing written).
void validate_train_options(const TrainOptions& t) {
  check_backbone_options(t.backbone, t.group);
  make_weight_prior(t.prior);
  parse_tempering(t.tempering);
  if (t.epochs < 1 || t.batch < 1) throw UsageError("--epochs and --batch must be ≥ 1");
  if (!(t.temperature > 0)) throw UsageError(fmt::format("--temperature {} must be > 0", t.temperature));
  if (!(t.lr > 0)) throw UsageError(fmt::format("--lr {} must be > 0", t.lr));
  if (t.mc_kl < 1 || t.eval_samples < 1) throw UsageError("--mc-kl and --eval-samples must be ≥ 1");
  if (t.ensemble < 1) throw UsageError(fmt::format("--ensemble {} must be ≥ 1", t.ensemble));
  parse_test_time_augmentation(t.tta, "--tta");
}

void add_data_options(CLI::App* c, DataOptions& d, bool with_val_fraction = true) {
  c->add_option("--data", d.data, "mirabest:DIR (pickled batches) or synthetic (seeded FRI/FRII generator)")
      ->capture_default_str();
  c->add_option("--subset", d.subset, "MiraBest subset: confident, uncertain, all, hybrid")->capture_default_str();
  c->add_option("--extra-train", d.extra_train,
                "A further MiraBest subset (e.g. uncertain) added to the training images only; validation keeps "
                "--subset's");
  c->add_option("--batches", d.batches, "MiraBest training batches to read (1..7)")->capture_default_str();
  c->add_option("--n-synthetic", d.n_synthetic, "Synthetic images (half FRI, half FRII)")->capture_default_str();
  c->add_option("--synthetic-size", d.synthetic_size, "Synthetic image side (px)")->capture_default_str();
  c->add_option("--crop", d.crop, "Centre crop to this side (px; 0 = full image)")->capture_default_str();
  c->add_option("--bin", d.bin, "Bin factor×factor pixels after the crop (2: 150 → 75 px)")->capture_default_str();
  if (with_val_fraction)
    c->add_option("--val-fraction", d.val_fraction, "Validation split of the training data (stratified, seeded)")
        ->capture_default_str();
}

// The data options that can be checked before reading anything (a bad one
// stops before the run folder exists).
void validate_data_options(const DataOptions& d) {
  if (d.extra_train.empty()) return;
  if (d.data.rfind("mirabest:", 0) != 0) throw UsageError("--extra-train needs --data mirabest:DIR");
  parse_mirabest_subset(d.extra_train);
  if (d.extra_train == d.subset || d.extra_train == "all" || d.subset == "all")
    throw UsageError(fmt::format("--extra-train {} overlaps --subset {}: validation images would be trained on",
                                 d.extra_train, d.subset));
}

// The images of one subset, cropped and binned as the options say.
LabelledImages read_images(const DataOptions& d, const std::string& subset, std::uint64_t seed) {
  LabelledImages all;
  if (d.data == "synthetic") {
    RadioGalaxyOptions o;
    o.size = d.synthetic_size;
    all = generate_radio_galaxies(static_cast<std::size_t>(d.n_synthetic), derive_seed(seed, 0xDA7A), o);
  } else if (d.data.rfind("mirabest:", 0) == 0) {
    std::vector<int> b;
    for (double x : parse_doubles(d.batches, "--batches")) b.push_back(static_cast<int>(x));
    all = read_mirabest(d.data.substr(9), parse_mirabest_subset(subset), b);
  } else {
    throw UsageError(fmt::format("--data '{}' unknown; expected mirabest:DIR or synthetic", d.data));
  }
  if (all.size() == 0) throw DataError(fmt::format("--data {}: no images in subset '{}'", d.data, subset));
  if (d.crop > 0) all = center_crop(all, d.crop);
  if (d.bin > 1) all = bin_pixels(all, d.bin);
  return all;
}

// Reads the data and splits it into train/val with the run's seed. The
// --extra-train images join the training side after the split, so the
// validation images (and folds) are the same with or without them.
void load_split(const DataOptions& d, std::uint64_t seed, LabelledImages& train, LabelledImages& val) {
  auto all = read_images(d, d.subset, seed);
  if (d.folds > 0) {
    if (all.size() < static_cast<std::size_t>(d.folds))
      throw DataError(fmt::format("--data {}: {} images cannot make {} folds", d.data, all.size(), d.folds));
    stratified_fold(all, d.folds, d.fold, seed, train, val);
  } else {
    if (!(d.val_fraction >= 0 && d.val_fraction < 1))
      throw UsageError(fmt::format("--val-fraction {} outside [0, 1)", d.val_fraction));
    stratified_split(all, d.val_fraction, seed, train, val);
  }
  if (d.extra_train.empty()) return;
  auto extra = read_images(d, d.extra_train, seed);
  if (extra.class_names != train.class_names)
    throw UsageError(fmt::format("--extra-train {}: its classes are not those of --subset {}", d.extra_train, d.subset));
  for (std::size_t i = 0; i < extra.size(); ++i) train.push_back_from(extra, i);
}

LabelledImages select_split(const DataOptions& d, std::uint64_t seed) {
  LabelledImages train, val;
  load_split(d, seed, train, val);
  if (d.split == "val") return val;
  if (d.split == "train") return train;
  if (d.split == "all") {
    for (std::size_t i = 0; i < val.size(); ++i) train.push_back_from(val, i);
    return train;
  }
  throw UsageError(fmt::format("--split '{}' unknown; expected val, train or all", d.split));
}

struct TrainResult {
  std::unique_ptr<Classifier> model;
  CalibrationReport val;
  std::vector<double> val_probs;  // [K][N][C] posterior predictive samples on val
  int val_samples = 0;            // K
  double seconds_per_epoch = 0;
};

// A trained model's validation predictions (K posterior samples, one for a
// deterministic model; --tta applied) and their calibration report, into `res`.
void predict_validation(Classifier& model, const LabelledImages& val, const TrainOptions& t, TrainResult& res) {
  const auto& cfg = model.config();
  res.val_samples = cfg.bayesian ? t.eval_samples : 1;
  res.val_probs =
      predict_probabilities(model, val, res.val_samples, cfg.bayesian, parse_test_time_augmentation(t.tta, "--tta"));
  res.val = calibration_report(res.val_probs, res.val_samples, static_cast<std::int64_t>(val.size()), cfg.n_classes,
                               val.labels);
}

// Trains one model (VI for Bayesian, MAP for deterministic) and evaluates it on val.
// `seed` drives initialisation, minibatch order and augmentation; `split_seed`
// made the train/val split (recorded so that eval can make it again).
TrainResult train_classifier(const TrainOptions& t, const DataOptions& d, const LabelledImages& train,
                             const LabelledImages& val, std::uint64_t seed, std::uint64_t split_seed,
                             const fs::path& log_csv) {
  if (train.size() == 0) throw DataError("training split is empty");
  ClassifierConfig cfg;  // options were checked by validate_train_options
  cfg.backbone = t.backbone;
  cfg.bayesian = !t.deterministic;
  cfg.image_size = train.height;
  cfg.n_classes = static_cast<int>(train.class_names.size());
  cfg.class_names = train.class_names;
  cfg.group = t.group;
  cfg.rho_init = t.rho_init;
  double s = 0, s2 = 0;
  for (float v : train.pixels) s += v, s2 += static_cast<double>(v) * v;
  double n_pix = static_cast<double>(train.pixels.size());
  cfg.input_mean = s / n_pix;
  cfg.input_std = std::max(1e-8, std::sqrt(std::max(0.0, s2 / n_pix - cfg.input_mean * cfg.input_mean)));
  auto prior = make_weight_prior(t.prior);
  ElboSettings es{static_cast<std::int64_t>(train.size()), t.temperature, parse_tempering(t.tempering)};
  cfg.extra = {{"prior", prior->name()},
               {"temperature", t.temperature},
               {"tempering", tempering_name(es.tempering)},
               {"epochs", t.epochs},
               {"batch", t.batch},
               {"learning_rate", t.lr},
               {"augment", t.augment},
               {"seed", seed},
               {"split_seed", split_seed},
               {"data", d.data},
               {"subset", d.subset},
               {"extra_train", d.extra_train},
               {"batches", d.batches},
               {"n_synthetic", d.n_synthetic},
               {"synthetic_size", d.synthetic_size},
               {"crop", d.crop},
               {"bin", d.bin},
               {"source_size", d.data == "synthetic" ? d.synthetic_size : 150},
               {"val_fraction", d.val_fraction},
               {"n_train", train.size()},
               {"n_val", val.size()}};
  if (d.folds > 0) cfg.extra.update({{"folds", d.folds}, {"fold", d.fold}});
  TrainResult res;
  res.model = std::make_unique<Classifier>(cfg, seed);
  Classifier& model = *res.model;
  torch::manual_seed(derive_seed(seed, 0x7EA1));

  const auto N = static_cast<std::int64_t>(train.size());
  const int H = train.height, W = train.width;
  const std::int64_t steps_per_epoch = (N + t.batch - 1) / t.batch;
  std::vector<std::size_t> perm;
  std::vector<float> buf;
  std::vector<std::int64_t> ybuf;
  AugmentOptions aug;
  auto terms = [&](std::int64_t step) {
    std::int64_t epoch = step / steps_per_epoch, k = step % steps_per_epoch;
    if (k == 0) perm = seeded_permutation(train.size(), seed, 0xE90C + static_cast<std::uint64_t>(epoch));
    std::int64_t b0 = k * t.batch, b1 = std::min(N, b0 + t.batch), B = b1 - b0;
    buf.resize(static_cast<std::size_t>(B) * H * W);
    ybuf.resize(B);
    for (std::int64_t i = 0; i < B; ++i) {
      std::size_t src = perm[b0 + i];
      float* dst = buf.data() + static_cast<std::size_t>(i) * H * W;
      std::copy(train.image(src), train.image(src) + static_cast<std::size_t>(H) * W, dst);
      if (t.augment) augment_image(dst, H, W, aug, seed, 0xA000000ull + static_cast<std::uint64_t>(epoch) * N + src);
      ybuf[i] = train.labels[src];
    }
    auto x = torch::from_blob(buf.data(), {B, H, W}, torch::kFloat32);
    auto y = torch::from_blob(ybuf.data(), {B}, torch::kLong);
    ElboTerms e;
    e.batch_size = B;
    e.nll_sum = torch::nn::functional::cross_entropy(
        model.forward(x), y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    e.cross_entropy = torch::zeros({});
    e.entropy = torch::zeros({});
    for (auto& v : model.variational_tensors()) {
      if (cfg.bayesian) {
        e.cross_entropy = e.cross_entropy + prior->cross_entropy(v.mu, v.sigma, t.mc_kl);
        e.entropy = e.entropy + gaussian_entropy(v.sigma);
      } else {
        e.cross_entropy = e.cross_entropy - prior->log_prob(v.mu);  // MAP: −log p(μ)
      }
    }
    return e;
  };
  VariationalInference vi(model.parameters(), t.lr, es, terms);
  // The penalty column: KL[q‖p] (nats) for Bayesian models; for deterministic
  // (MAP) ones the penalty is −log p(μ) summed over the weights, not a KL.
  const char* penalty = cfg.bayesian ? "kl" : "prior_nll";
  std::string log = fmt::format("epoch,loss,nll,{},val_accuracy_mean_weights,seconds\n", penalty);
  Progress progress(fmt::format("train {}{}", cfg.bayesian ? "bayesian " : "", t.backbone),
                    steps_per_epoch * t.epochs, "step");
  double total_seconds = 0;
  for (int epoch = 0; epoch < t.epochs; ++epoch) {
    // Linear decay to 10 % of the learning rate over the run.
    vi.set_learning_rate(t.lr * (1.0 - 0.9 * epoch / std::max(1, t.epochs - 1)));
    model.set_train(true);
    model.set_sampling(true);
    auto t0 = std::chrono::steady_clock::now();
    double loss = 0, nll = 0, kl = 0;
    for (std::int64_t k = 0; k < steps_per_epoch; ++k) {
      auto info = vi.step();
      loss += info.loss / steps_per_epoch;
      nll += info.nll / steps_per_epoch;
      kl = info.kl;
      progress.tick(1, fmt::format("loss {:.4f}", info.loss));
    }
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_seconds += sec;
    double val_acc = std::nan("");
    if (val.size()) {
      auto p = predict_probabilities(model, val, 1, false);
      val_acc = calibration_report(p, 1, static_cast<std::int64_t>(val.size()), cfg.n_classes, val.labels).accuracy;
    }
    log += fmt::format("{},{:.6f},{:.6f},{:.3f},{:.4f},{:.2f}\n", epoch + 1, loss, nll, kl, val_acc, sec);
    spdlog::info("epoch {}/{}: loss {:.4f} nll {:.4f} {} {:.1f} val acc (mean weights) {:.3f} ({:.1f} s)", epoch + 1,
                 t.epochs, loss, nll, penalty, kl, val_acc, sec);
    if (!log_csv.empty()) write_text_atomic(log_csv, log);
  }
  progress.finish();
  res.seconds_per_epoch = total_seconds / t.epochs;
  if (val.size()) {
    predict_validation(model, val, t, res);
  }
  return res;
}

// The options that change a model's predictions, as a --resume fingerprint.
nlohmann::json train_settings(const TrainOptions& t, const DataOptions& d) {
  nlohmann::json j = {{"backbone", t.backbone}, {"group", t.group},         {"deterministic", t.deterministic},
          {"prior", t.prior},       {"tempering", t.tempering}, {"temperature", t.temperature},
          {"epochs", t.epochs},     {"batch", t.batch},         {"lr", t.lr},
          {"rho_init", t.rho_init}, {"mc_kl", t.mc_kl},         {"eval_samples", t.eval_samples},
          {"augment", t.augment},   {"tta", t.tta},             {"ensemble", t.ensemble}};
  // Recorded only when used, so that folds saved before the option existed still match.
  if (!d.extra_train.empty()) j["extra_train"] = d.extra_train;
  return j;
}

// train_settings without the options that act only when predicting (--tta,
// --eval-samples): folds that differ in those alone are re-evaluated, not retrained.
nlohmann::json model_settings(nlohmann::json settings) {
  settings.erase("tta");
  settings.erase("eval_samples");
  return settings;
}

// Whether two fingerprints differ in the ensemble size alone (and both are
// ensembles, whose members are folders that can be reused).
bool other_ensemble_size_only(nlohmann::json a, nlohmann::json b) {
  if (a.value("ensemble", 1) < 2 || b.value("ensemble", 1) < 2 || a == b) return false;
  a.erase("ensemble");
  b.erase("ensemble");
  return model_settings(a) == model_settings(b);
}

// FNV-1a over the pixel bytes: identifies the images of a fold across runs.
std::uint64_t images_hash(const LabelledImages& d) {
  std::uint64_t h = 1469598103934665603ull;
  auto* b = reinterpret_cast<const unsigned char*>(d.pixels.data());
  for (std::size_t i = 0; i < d.pixels.size() * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

struct TrainedModel {
  ClassifierConfig config;        // member 0's
  CalibrationReport val;          // the ensemble's (all members' samples)
  std::vector<double> val_probs;  // [M·K][N][C]
  int val_samples = 0;            // M·K
  double seconds_per_epoch = 0;   // mean over the members
  std::int64_t weights = 0;       // summed over the members
};

void write_metrics(const fs::path& dir, const CalibrationReport& r, const nlohmann::json& extra, const std::string& title) {
  auto j = r.to_json();
  j.update(extra);
  write_text_atomic(dir / "metrics.json", j.dump(2) + "\n");
  write_reliability_diagram(dir / "reliability.png", r, title);
}

// predictions.csv: one row per image (fold, id, true and predicted class, the
// predictive probabilities, entropy, mutual information, and the fraction of
// samples/members that share the decision), so that a user can look up which
// sources a model gets wrong and whether every member shares the error.
std::string image_predictions_header(const std::vector<std::string>& class_names) {
  std::string h = "fold,id,label,predicted,correct";
  for (auto& c : class_names) h += ",p_" + c;
  return h + ",predictive_entropy,mutual_information,agreement\n";
}

// Rows for probs [K][N][C] of `images` (its labels and ids); fold −1 for a plain split.
// Ids go in unquoted: MiraBest file names and the generator's synthetic-<n> hold no commas.
std::string image_predictions_rows(const std::vector<double>& probs, int K, const LabelledImages& images, int fold) {
  const auto N = static_cast<std::int64_t>(images.size());
  const int C = static_cast<int>(images.class_names.size());
  std::string rows;
  for (std::int64_t n = 0; n < N; ++n) {
    const auto ip = image_prediction(probs, K, N, C, n);
    const int y = images.labels[n];
    rows += fmt::format("{},{},{},{},{}", fold >= 0 ? std::to_string(fold) : std::string(),
                        n < static_cast<std::int64_t>(images.ids.size()) ? images.ids[n] : std::to_string(n),
                        images.class_names[y], images.class_names[ip.predicted], ip.predicted == y ? 1 : 0);
    for (double m : ip.mean) rows += fmt::format(",{:.6f}", m);
    rows += fmt::format(",{:.6f},{:.6f},{:.4f}\n", ip.entropy, ip.mutual_information, ip.agreement);
  }
  return rows;
}

// What a member folder must record to be reused: its training options (less
// the ensemble size and what acts only when predicting), seed and images.
nlohmann::json member_fingerprint(const TrainOptions& t, const DataOptions& d, const LabelledImages& tr,
                                  std::uint64_t member_seed) {
  auto j = model_settings(train_settings(t, d));
  j.erase("ensemble");
  return {{"settings", j}, {"seed", member_seed}, {"train_images_hash", images_hash(tr)}};
}

// A member folder's member.json, or null when it is missing or unreadable (an
// interrupted write): such a member is trained again.
nlohmann::json read_member_record(const fs::path& member) {
  try {
    return nlohmann::json::parse(read_text(member / "member.json"));
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Trains what --ensemble asks for into `dir`: a model folder, or M member
// folders (member m from its own seed; member 0 from the run's, so that an
// ensemble of one is the plain model) and ensemble.json. With
// `reuse_members`, a member folder finished by an earlier run with the same
// fingerprint (member.json, written last) is loaded and predicts instead of
// training again: an interrupted ensemble resumes, and a larger --ensemble
// grows a finished one by training only the new members.
TrainedModel train_model_folder(const TrainOptions& t, const DataOptions& d, const LabelledImages& tr,
                                const LabelledImages& va, std::uint64_t seed, const fs::path& dir,
                                bool reuse_members = false) {
  TrainedModel out;
  const int M = t.ensemble;
  for (int m = 0; m < M; ++m) {
    auto where = M == 1 ? dir : ClassifierEnsemble::member_dir(dir, static_cast<std::size_t>(m));
    fs::create_directories(where);
    auto member_seed = m == 0 ? seed : derive_seed(seed, 0xE45E0000ull + static_cast<std::uint64_t>(m));
    const auto fingerprint = member_fingerprint(t, d, tr, member_seed);
    TrainResult res;
    auto record = M > 1 && reuse_members ? read_member_record(where) : nlohmann::json();
    if (!record.is_null() && record.value("fingerprint", nlohmann::json()) == fingerprint) {
      spdlog::info("ensemble member {}/{}: reusing {}", m + 1, M, where.string());
      res.model = Classifier::load(where, t.backbone);
      torch::manual_seed(derive_seed(member_seed, 0xE7A1));
      if (va.size()) predict_validation(*res.model, va, t, res);
      res.seconds_per_epoch = record.value("seconds_per_epoch", 0.0);
    } else {
      if (M > 1) spdlog::info("ensemble member {}/{}", m + 1, M);
      res = train_classifier(t, d, tr, va, member_seed, seed, where / "train_log.csv");
      res.model->save(where);
      if (M > 1 && va.size())
        write_metrics(where, res.val, {{"split", "val"}, {"member", m}}, fmt::format("{} member {}", t.backbone, m));
      if (M > 1)
        write_text_atomic(where / "member.json",
                          nlohmann::json{{"fingerprint", fingerprint}, {"seconds_per_epoch", res.seconds_per_epoch}}
                                  .dump(2) +
                              "\n");
    }
    out.val_probs.insert(out.val_probs.end(), res.val_probs.begin(), res.val_probs.end());
    out.val_samples += res.val_samples;
    out.seconds_per_epoch += res.seconds_per_epoch / M;
    out.weights += res.model->weight_count();
    if (m == 0) out.config = res.model->config();
  }
  if (M > 1) ClassifierEnsemble::write_manifest(dir, static_cast<std::size_t>(M));
  if (va.size())
    out.val = calibration_report(out.val_probs, out.val_samples, static_cast<std::int64_t>(va.size()),
                                 out.config.n_classes, va.labels);
  return out;
}

constexpr const char* kTtaHelp = "Test-time augmentation: none, or d4 (average over the 8 rotations/flips by 90°)";

void add_train_options(CLI::App* c, TrainOptions& t) {
  c->add_option("--backbone", t.backbone, backbone_help())->capture_default_str();
  c->add_option("--group", t.group, "Equivariant backbone: C<N> or D<N> (C4, D4 exact; C8, D8, C16, D16 interpolated)")
      ->capture_default_str();
  c->add_flag("--deterministic", t.deterministic, "Plain (MAP) network instead of a Bayesian one");
  c->add_option("--prior", t.prior, "Weight prior: " + weight_prior_help())->capture_default_str();
  c->add_option("--temperature", t.temperature, "Posterior temperature T (T < 1: cold)")->capture_default_str();
  c->add_option("--tempering", t.tempering, "partial (KL × T) or full (entropy × T; tempered posterior)")
      ->capture_default_str();
  c->add_option("--epochs", t.epochs, "Training epochs")->capture_default_str();
  c->add_option("--batch", t.batch, "Minibatch size")->capture_default_str();
  c->add_option("--lr", t.lr, "Adam learning rate (decays linearly to 10 %)")->capture_default_str();
  c->add_option("--rho-init", t.rho_init, "Initial ρ (σ = softplus(ρ))")->capture_default_str();
  c->add_option("--mc-kl", t.mc_kl, "Monte Carlo draws for the KL of priors without closed form")->capture_default_str();
  c->add_option("--eval-samples", t.eval_samples, "Posterior samples K for the validation metrics")->capture_default_str();
  c->add_flag("!--no-augment", t.augment, "Switch off random rotations and flips");
  c->add_option("--tta", t.tta, kTtaHelp)->capture_default_str();
  c->add_option("--ensemble", t.ensemble,
                "Members of a deep ensemble, each trained from its own seed; predictions mix their posteriors")
      ->capture_default_str();
}


// ---------------- image input for predict ----------------
std::vector<float> read_png_grey01(const fs::path& path, int& h, int& w) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.string().c_str()))
    throw DataError(fmt::format("{}: not a readable PNG ({})", path.string(), img.message));
  img.format = PNG_FORMAT_GRAY;
  std::vector<png_byte> buf(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, buf.data(), 0, nullptr))
    throw DataError(fmt::format("{}: PNG decode failed ({})", path.string(), img.message));
  h = static_cast<int>(img.height);
  w = static_cast<int>(img.width);
  std::vector<float> out(buf.size());
  for (std::size_t i = 0; i < buf.size(); ++i) out[i] = buf[i] / 255.0f;
  return out;
}

// FITS/PNG → [S][S] in the model's pixel scale: PNG grey /255 (MiraBest's
// 8-bit scale); FITS scaled to a peak of 1 (negative values clipped to 0,
// like MiraBest's sigma-clipped images). A larger image is centre-cropped to
// the model's side only when it has the side the model was trained from.
std::vector<float> load_image_for(const ClassifierConfig& cfg, const fs::path& path) {
  require_exists(path.string(), "image");
  std::vector<float> px;
  int h = 0, w = 0;
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".png") {
    px = read_png_grey01(path, h, w);
  } else if (ext == ".fits" || ext == ".fit" || ext == ".fts") {
    auto f = read_fits_image(path);
    h = f.grid.ny;
    w = f.grid.nx;
    double mx = 0;
    for (double v : f.pixels)
      if (std::isfinite(v)) mx = std::max(mx, v);
    px.resize(f.pixels.size());
    for (std::size_t i = 0; i < px.size(); ++i)
      px[i] = std::isfinite(f.pixels[i]) && mx > 0 ? static_cast<float>(std::max(0.0, f.pixels[i]) / mx) : 0.0f;
  } else {
    throw UsageError(fmt::format("{}: image type '{}' unknown; expected .fits or .png", path.string(), ext));
  }
  int S = cfg.image_size;
  int src = cfg.extra.value("source_size", S);
  int crop = cfg.extra.value("crop", 0), bin = cfg.extra.value("bin", 1);
  if (h == S && w == S) return px;
  if (h == w && h == src && src != S) {
    LabelledImages one;
    one.height = h;
    one.width = w;
    one.pixels = px;
    one.labels = {0};
    if (crop > 0) one = center_crop(one, crop);
    if (bin > 1) one = bin_pixels(one, bin);
    if (one.height == S) return one.pixels;
  }
  throw DataError(fmt::format("{}: image is {}×{} px; the {} model takes {}×{}{}", path.string(), w, h,
                              cfg.backbone, S, S,
                              src != S ? fmt::format(" (or {}×{}, cropped/binned as in training)", src, src)
                                       : std::string()));
}

// One fold's out-of-fold predictions, [K][N][C] with its labels: what a
// cross-validation pools, and what --resume reads back instead of retraining.
struct FoldPredictions {
  int K = 0, C = 0;
  std::uint64_t images_hash = 0;  // of the fold's pixels: --resume checks it holds the same images
  nlohmann::json settings;        // what made the predictions (train_settings): --resume checks them too
  std::vector<int> labels;
  std::vector<double> probs;
};

void write_fold_predictions(const fs::path& path, const FoldPredictions& f) {
  nlohmann::json j = {{"samples", f.K},
                      {"classes", f.C},
                      {"images_hash", f.images_hash},
                      {"settings", f.settings},
                      {"labels", f.labels},
                      {"probabilities", f.probs}};
  write_text_atomic(path, j.dump() + "\n");
}

FoldPredictions read_fold_predictions(const fs::path& path) {
  FoldPredictions f;
  try {
    auto j = nlohmann::json::parse(read_text(path));
    f.K = j.at("samples").get<int>();
    f.C = j.at("classes").get<int>();
    f.images_hash = j.at("images_hash").get<std::uint64_t>();
    f.settings = j.value("settings", nlohmann::json());  // null in files written before it was recorded
    f.labels = j.at("labels").get<std::vector<int>>();
    f.probs = j.at("probabilities").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not a fold prediction file ({})", path.string(), e.what()));
  }
  if (f.probs.size() != static_cast<std::size_t>(f.K) * f.labels.size() * f.C)
    throw DataError(fmt::format("{}: {} probabilities for K = {}, {} images, {} classes", path.string(),
                                f.probs.size(), f.K, f.labels.size(), f.C));
  return f;
}

// A finished fold's predictions under other prediction options (--tta,
// --eval-samples): the fold's saved model predicts its validation images again.
FoldPredictions predict_fold_again(const fs::path& fold_dir, const LabelledImages& va, const TrainOptions& t,
                                   const DataOptions& d, std::uint64_t seed) {
  auto model = ClassifierEnsemble::load(fold_dir, t.backbone);
  const bool bayesian = model.config().bayesian;
  const int k = bayesian ? t.eval_samples : 1;
  torch::manual_seed(derive_seed(seed, 0xE7A1));
  FoldPredictions fp;
  fp.K = k * static_cast<int>(model.size());
  fp.C = model.config().n_classes;
  fp.images_hash = images_hash(va);
  fp.settings = train_settings(t, d);
  fp.labels = va.labels;
  fp.probs = predict_probabilities(model, va, k, bayesian, parse_test_time_augmentation(t.tta, "--tta"));
  return fp;
}

// Concatenates the folds' [K][N_f][C] along the images: [K][ΣN_f][C].
FoldPredictions pool_folds(const std::vector<FoldPredictions>& folds) {
  FoldPredictions out;
  out.K = folds.at(0).K;
  out.C = folds.at(0).C;
  for (auto& f : folds) {
    if (f.K != out.K || f.C != out.C) throw DataError("cross-validation folds differ in samples K or classes");
    out.labels.insert(out.labels.end(), f.labels.begin(), f.labels.end());
  }
  for (int k = 0; k < out.K; ++k)
    for (auto& f : folds) {
      auto row = static_cast<std::size_t>(f.C) * f.labels.size();
      out.probs.insert(out.probs.end(), f.probs.begin() + static_cast<std::ptrdiff_t>(k * row),
                       f.probs.begin() + static_cast<std::ptrdiff_t>((k + 1) * row));
    }
  return out;
}

}  // namespace classify_cmd

Runner add_classify(CLI::App& root) {
  using namespace classify_cmd;
  namespace fs = std::filesystem;
  auto* cmd = root.add_subcommand("classify", "Bayesian radio-galaxy classifiers: train, eval, predict and studies");
  cmd->require_subcommand(1);
  struct State {
    DataOptions data;
    TrainOptions train;
    std::string model;
    std::string expect_backbone;
    std::vector<std::string> images;
    int samples = 20;
    std::string temperatures = "1,1e-1,1e-2,1e-3,1e-4";
    std::string fractions = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9";
    std::string rankings = "snr,fisher";
    int folds = 5;
    int fold = -1;  // cross-validate: train only this fold (-1: all, then pool)
    bool resume = false;
  };
  auto st = std::make_shared<State>();

  auto* train = cmd->add_subcommand("train", "Train a classifier (VI for Bayesian, MAP for --deterministic)");
  add_data_options(train, st->data);
  add_train_options(train, st->train);

  auto* eval = cmd->add_subcommand("eval", "Evaluate a model folder: accuracy, NLL, Brier, ECE, UCE, entropy, MI");
  eval->add_option("--model", st->model, "Model folder (a train run)")->required();
  eval->add_option("--backbone", st->expect_backbone, "Refuse a model folder of another backbone");
  add_data_options(eval, st->data);
  eval->add_option("--split", st->data.split, "val (the model's validation split), train or all")->capture_default_str();
  eval->add_option("--samples", st->samples, "Posterior samples K")->capture_default_str();
  eval->add_option("--tta", st->train.tta, kTtaHelp)->capture_default_str();

  auto* predict = cmd->add_subcommand("predict", "Class probabilities with uncertainties for FITS/PNG images");
  predict->add_option("--model", st->model, "Model folder (a train run)")->required();
  predict->add_option("--backbone", st->expect_backbone, "Refuse a model folder of another backbone");
  predict->add_option("images", st->images, "FITS or PNG images")->required();
  predict->add_option("--samples", st->samples, "Posterior samples K")->capture_default_str();
  predict->add_option("--tta", st->train.tta, kTtaHelp)->capture_default_str();

  auto* sweep = cmd->add_subcommand("temperature-sweep", "Cold-posterior study: train and evaluate per temperature");
  add_data_options(sweep, st->data);
  add_train_options(sweep, st->train);
  sweep->add_option("--temperatures", st->temperatures, "Comma-separated temperatures")->capture_default_str();

  auto* cv = cmd->add_subcommand(
      "cross-validate", "Stratified K-fold cross-validation: a model per fold, metrics pooled over every image");
  add_data_options(cv, st->data, false);
  add_train_options(cv, st->train);
  cv->add_option("--folds", st->folds, "Folds K (stratified by class, seeded by --seed)")->capture_default_str();
  cv->add_flag("--resume", st->resume, "Reuse the finished folds of an interrupted run in the same --out folder");
  cv->add_option("--fold", st->fold,
                 "Train only fold k (0-based) into --out/fold-k, without pooling: run the folds as separate "
                 "processes, then pool them with --resume");

  auto* prune = cmd->add_subcommand("prune", "Prune dense weights by SNR and Fisher ranking; accuracy and calibration");
  prune->add_option("--model", st->model, "Model folder (a Bayesian train run)")->required();
  add_data_options(prune, st->data);
  prune->add_option("--split", st->data.split, "val, train or all")->capture_default_str();
  prune->add_option("--fractions", st->fractions, "Comma-separated fractions of dense weights to prune")
      ->capture_default_str();
  prune->add_option("--rankings", st->rankings, "snr, fisher or both")->capture_default_str();
  prune->add_option("--samples", st->samples, "Posterior samples K")->capture_default_str();

  // Evaluation data default to the model's own data settings unless given.
  auto data_from_model = [](const ClassifierConfig& cfg, DataOptions d, CLI::App* app) {
    const auto& x = cfg.extra;
    if (app->count("--data") == 0) d.data = x.value("data", d.data);
    if (app->count("--subset") == 0) d.subset = x.value("subset", d.subset);
    if (app->count("--extra-train") == 0) d.extra_train = x.value("extra_train", d.extra_train);
    if (app->count("--batches") == 0) d.batches = x.value("batches", d.batches);
    if (app->count("--n-synthetic") == 0) d.n_synthetic = x.value("n_synthetic", d.n_synthetic);
    if (app->count("--synthetic-size") == 0) d.synthetic_size = x.value("synthetic_size", d.synthetic_size);
    if (app->count("--crop") == 0) d.crop = x.value("crop", d.crop);
    if (app->count("--bin") == 0) d.bin = x.value("bin", d.bin);
    if (app->count("--val-fraction") == 0) d.val_fraction = x.value("val_fraction", d.val_fraction);
    // A cross-validation fold's model validates on its own fold (unless --val-fraction asks otherwise).
    d.folds = app->count("--val-fraction") == 0 ? x.value("folds", 0) : 0;
    d.fold = x.value("fold", 0);
    return d;
  };

  return [=](Context& ctx) {
    auto& s = *st;
    if (train->parsed()) {
      validate_train_options(s.train);
      validate_data_options(s.data);
      LabelledImages tr, va;
      load_split(s.data, ctx.seed(), tr, va);
      auto& run = ctx.run("classify-train");
      spdlog::info("training on {} images, validating on {} ({}×{} px)", tr.size(), va.size(), tr.height, tr.width);
      auto res = train_model_folder(s.train, s.data, tr, va, ctx.seed(), run.dir());
      nlohmann::json extra = {{"split", "val"},
                              {"tta", s.train.tta},
                              {"ensemble", s.train.ensemble},
                              {"seconds_per_epoch", res.seconds_per_epoch},
                              {"weights", res.weights},
                              {"model", res.config.to_json()}};
      if (va.size()) write_metrics(run.dir(), res.val, extra, fmt::format("{} val", s.train.backbone));
      fmt::print("accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  ({} val images, {:.1f} s/epoch)\n",
                 res.val.accuracy, res.val.ece, res.val.uce, res.val.nll, va.size(), res.seconds_per_epoch);
      run.finish({{"accuracy", res.val.accuracy}, {"ece", res.val.ece}, {"uce", res.val.uce}});
    } else if (eval->parsed() || prune->parsed()) {
      const auto tta = parse_test_time_augmentation(s.train.tta, "--tta");
      auto model = ClassifierEnsemble::load(s.model, s.expect_backbone);
      const auto& cfg = model.config();
      auto* app = eval->parsed() ? eval : prune;
      if (prune->parsed() && model.size() > 1)
        throw UsageError(fmt::format("{} is an ensemble of {}; prune one member's folder ({})", s.model, model.size(),
                                     ClassifierEnsemble::member_dir(s.model, 0).string()));
      std::uint64_t seed = cfg.extra.value("split_seed", cfg.extra.value("seed", ctx.seed()));
      auto d = data_from_model(cfg, s.data, app);
      auto data = select_split(d, seed);
      if (data.height != cfg.image_size)
        throw DataError(fmt::format("--data {} gives {}×{} images; the model in {} takes {}×{} (set --crop)", d.data,
                                    data.height, data.width, s.model, cfg.image_size, cfg.image_size));
      torch::manual_seed(derive_seed(ctx.seed(), 0xE7A1));
      if (eval->parsed()) {
        auto& run = ctx.run("classify-eval");
        int K = (cfg.bayesian ? s.samples : 1) * static_cast<int>(model.size());
        auto p = predict_probabilities(model, data, cfg.bayesian ? s.samples : 1, cfg.bayesian, tta);
        auto r = calibration_report(p, K, static_cast<std::int64_t>(data.size()), cfg.n_classes, data.labels);
        write_text_atomic(run.path("predictions.csv"),
                          image_predictions_header(data.class_names) + image_predictions_rows(p, K, data, -1));
        write_metrics(run.dir(), r,
                      {{"split", d.split}, {"model", s.model}, {"data", d.data}, {"tta", s.train.tta},
                       {"ensemble", model.size()}},
                      fmt::format("{} {}", cfg.backbone, d.split));
        fmt::print("accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  brier {:.4f}  ({} images, K = {})\n",
                   r.accuracy, r.ece, r.uce, r.nll, r.brier, r.n, K);
        run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}});
      } else {
        auto& run = ctx.run("classify-prune");
        std::vector<PruneRanking> ranks;
        std::stringstream ss(s.rankings);
        std::string tok;
        while (std::getline(ss, tok, ',')) ranks.push_back(parse_prune_ranking(tok));
        auto rows = pruning_study(*model.members[0], data, parse_doubles(s.fractions, "--fractions"), ranks, s.samples);
        write_pruning_csv(run.path("pruning.csv"), rows);
        write_pruning_png(run.path("pruning.png"), rows);
        for (auto& r : rows)
          fmt::print("{:7s} {:4.0f} %  accuracy {:.4f}  ece {:.4f}  uce {:.4f}\n", r.ranking, 100 * r.fraction,
                     r.accuracy, r.ece, r.uce);
        run.finish({{"rows", rows.size()}});
      }
    } else if (predict->parsed()) {
      const auto tta = parse_test_time_augmentation(s.train.tta, "--tta");
      auto model = ClassifierEnsemble::load(s.model, s.expect_backbone);
      const auto& cfg = model.config();
      auto& run = ctx.run("classify-predict");
      torch::manual_seed(derive_seed(ctx.seed(), 0x9ED1));
      LabelledImages imgs;
      imgs.height = imgs.width = cfg.image_size;
      imgs.class_names = cfg.class_names;
      for (auto& f : s.images) {
        auto px = load_image_for(cfg, f);
        imgs.pixels.insert(imgs.pixels.end(), px.begin(), px.end());
        imgs.labels.push_back(0);
      }
      // K draws from the posterior: s.samples from each member (one per deterministic member).
      int K = (cfg.bayesian ? s.samples : 1) * static_cast<int>(model.size());
      const auto N = static_cast<std::int64_t>(imgs.size());
      const int C = cfg.n_classes;
      auto p = predict_probabilities(model, imgs, cfg.bayesian ? s.samples : 1, cfg.bayesian, tta);
      nlohmann::json out = nlohmann::json::array();
      for (std::int64_t n = 0; n < N; ++n) {
        const auto ip = image_prediction(p, K, N, C, n);
        const int pred = ip.predicted;
        nlohmann::json probs;
        for (int c = 0; c < C; ++c) probs[cfg.class_names[c]] = {{"mean", ip.mean[c]}, {"std", ip.std[c]}};
        out.push_back({{"image", s.images[n]},
                       {"class", cfg.class_names[pred]},
                       {"probabilities", probs},
                       {"predictive_entropy", ip.entropy},
                       {"mutual_information", ip.mutual_information}});
        fmt::print("{}: {} (p = {:.3f} ± {:.3f}, entropy {:.3f}, MI {:.4f})\n", s.images[n],
                   cfg.class_names[pred], ip.mean[pred], ip.std[pred], ip.entropy, ip.mutual_information);
      }
      write_text_atomic(run.path("predictions.json"), out.dump(2) + "\n");
      if (cfg.backbone == "attention") {
        // The maps are member 0's (an ensemble's members attend each in their own way).
        auto& net = *model.members[0];
        torch::NoGradGuard g;
        net.set_sampling(false);
        int S = imgs.height;
        for (std::int64_t n = 0; n < N; ++n) {
          auto x = torch::from_blob(imgs.image(n), {1, S, S}, torch::kFloat32).clone();
          net.forward(x);
          std::vector<ImagePanel> panels;
          // Images are [row][col] top row first (as stored in MiraBest); the PNG
          // writer draws row 0 at the bottom, so flip rows to keep the orientation.
          auto to_panel = [&](const at::Tensor& t, const std::string& title, ColorMap cm) {
            auto a = torch::flip(t.to(torch::kFloat64).contiguous(), {0}).contiguous();
            ImagePanel pn;
            pn.nx = static_cast<int>(a.size(1));
            pn.ny = static_cast<int>(a.size(0));
            pn.pixels.assign(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
            pn.title = title;
            pn.cmap = cm;
            return pn;
          };
          panels.push_back(to_panel(x[0], fs::path(s.images[n]).filename().string(), ColorMap::kInferno));
          int li = 1;
          for (auto& a : net.attention_maps()) {
            auto up = torch::nn::functional::interpolate(
                a, torch::nn::functional::InterpolateFuncOptions()
                       .size(std::vector<std::int64_t>{S, S})
                       .mode(torch::kBilinear)
                       .align_corners(false));
            auto pn = to_panel(up[0][0], fmt::format("attention {}", li++), ColorMap::kViridis);
            pn.vmin = 0;
            pn.vmax = 1;
            panels.push_back(pn);
          }
          write_panels_png(run.path(fmt::format("attention_{}.png", n)), panels, static_cast<int>(panels.size()));
        }
      }
      run.finish({{"images", N}});
    } else if (cv->parsed()) {
      // Every image is validated once, by the model that did not see it: the
      // pooled metrics rest on all N images (s.e. of an accuracy of 0.93 on
      // 729 images: 0.9 %) instead of one 20 % split's.
      validate_train_options(s.train);
      validate_data_options(s.data);
      if (s.folds < 2) throw UsageError(fmt::format("--folds {} must be ≥ 2", s.folds));
      const bool one_fold = s.fold >= 0;
      if (cv->count("--fold") > 0 && (s.fold < 0 || s.fold >= s.folds))
        throw UsageError(fmt::format("--fold {} is not one of the {} folds 0..{}", s.fold, s.folds, s.folds - 1));
      // One fold's run folder is its model folder, so that processes training
      // different folds of one --out never write the same file.
      auto& run = one_fold ? ctx.run("classify-cross-validate", fmt::format("fold-{}", s.fold))
                           : ctx.run("classify-cross-validate");
      const auto root = one_fold ? run.dir().parent_path() : run.dir();
      std::vector<FoldPredictions> preds;
      std::vector<double> acc, ece, uce, nll;
      std::string csv = "fold,n_train,n_val,accuracy,ece,uce,nll,brier,mutual_information,seconds_per_epoch\n";
      std::string image_csv;  // predictions.csv, every image's out-of-fold prediction
      for (int f = one_fold ? s.fold : 0; f < (one_fold ? s.fold + 1 : s.folds); ++f) {
        auto d = s.data;
        d.folds = s.folds;
        d.fold = f;
        LabelledImages tr, va;
        load_split(d, ctx.seed(), tr, va);
        auto sub = root / fmt::format("fold-{}", f);
        auto pred_file = sub / "val_probabilities.json";
        FoldPredictions fp;
        double sec = std::nan("");
        bool train = true;
        if (s.resume && fs::exists(pred_file)) {
          train = false;
          fp = read_fold_predictions(pred_file);
          if (fp.images_hash != images_hash(va) || fp.labels != va.labels)
            throw DataError(fmt::format("{}: its images are not fold {}'s; was it run with other data or --seed?",
                                        pred_file.string(), f));
          const auto want = train_settings(s.train, d);
          if (fp.settings.is_null()) {
            spdlog::warn("{}: records no training options; reused as they are", pred_file.string());
          } else if (other_ensemble_size_only(fp.settings, want)) {
            spdlog::info("fold {}/{}: --ensemble {} (was {}): training only the members not finished yet", f + 1,
                         s.folds, s.train.ensemble, fp.settings.value("ensemble", 1));
            train = true;
          } else if (model_settings(fp.settings) != model_settings(want)) {
            throw UsageError(fmt::format("--resume: fold {} in {} was trained with other options ({}); use another --out",
                                         f, root.string(), fp.settings.dump()));
          } else if (fp.settings != want) {
            spdlog::info("fold {}/{}: re-evaluating the saved model with --tta {} --eval-samples {} (was {} {})", f + 1,
                         s.folds, s.train.tta, s.train.eval_samples, fp.settings.value("tta", "?"),
                         fp.settings.value("eval_samples", 0));
            fp = predict_fold_again(sub, va, s.train, d, ctx.seed());
            write_metrics(sub, calibration_report(fp.probs, fp.K, static_cast<std::int64_t>(va.size()), fp.C, va.labels),
                          {{"split", "val"}, {"fold", f}, {"folds", s.folds}, {"tta", s.train.tta},
                           {"ensemble", s.train.ensemble}},
                          fmt::format("{} fold {}", s.train.backbone, f));
            write_fold_predictions(pred_file, fp);
          } else {
            spdlog::info("fold {}/{}: reusing {}", f + 1, s.folds, pred_file.string());
          }
        }
        if (train) {
          fs::create_directories(sub);
          spdlog::info("fold {}/{}: training on {} images, validating on {}", f + 1, s.folds, tr.size(), va.size());
          auto res = train_model_folder(s.train, d, tr, va, ctx.seed(), sub, s.resume);
          write_metrics(sub, res.val,
                        {{"split", "val"}, {"fold", f}, {"folds", s.folds}, {"tta", s.train.tta},
                         {"ensemble", s.train.ensemble}, {"seconds_per_epoch", res.seconds_per_epoch}},
                        fmt::format("{} fold {}", s.train.backbone, f));
          fp = {res.val_samples, res.config.n_classes, images_hash(va), train_settings(s.train, d), va.labels,
                res.val_probs};
          write_fold_predictions(pred_file, fp);
          sec = res.seconds_per_epoch;
        }
        auto r = calibration_report(fp.probs, fp.K, static_cast<std::int64_t>(fp.labels.size()), fp.C, fp.labels);
        if (image_csv.empty()) image_csv = image_predictions_header(va.class_names);
        image_csv += image_predictions_rows(fp.probs, fp.K, va, f);
        acc.push_back(r.accuracy), ece.push_back(r.ece), uce.push_back(r.uce), nll.push_back(r.nll);
        csv += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.2f}\n", f, tr.size(), va.size(),
                           r.accuracy, r.ece, r.uce, r.nll, r.brier, r.mutual_information, sec);
        fmt::print("fold {}: accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  ({} val images)\n", f, r.accuracy,
                   r.ece, r.uce, r.nll, va.size());
        if (one_fold) {
          run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}, {"fold", f}, {"folds", s.folds}});
          return;
        }
        write_text_atomic(run.path("cross_validation.csv"), csv);
        write_text_atomic(run.path("predictions.csv"), image_csv);
        preds.push_back(std::move(fp));
      }
      auto all = pool_folds(preds);
      auto N = static_cast<std::int64_t>(all.labels.size());
      auto r = calibration_report(all.probs, all.K, N, all.C, all.labels);
      nlohmann::json extra = {
          {"split", "out-of-fold (pooled)"},
          {"folds", s.folds},
          {"tta", s.train.tta},
          {"accuracy_standard_error", std::sqrt(r.accuracy * (1 - r.accuracy) / static_cast<double>(N))},
          {"per_fold",
           {{"accuracy", acc}, {"ece", ece}, {"uce", uce}, {"nll", nll},
            {"accuracy_mean", mean(acc)}, {"accuracy_sd", sample_stdev(acc)},
            {"ece_mean", mean(ece)}, {"ece_sd", sample_stdev(ece)}}}};
      write_metrics(run.dir(), r, extra, fmt::format("{} {}-fold pooled", s.train.backbone, s.folds));
      fmt::print("pooled over {} folds: accuracy {:.4f} ± {:.4f}  ece {:.4f} (a calibrated model: {:.4f}, p = {:.3g})  "
                 "uce {:.4f}  nll {:.4f}  brier {:.4f}  ({} images)\n",
                 s.folds, r.accuracy, extra["accuracy_standard_error"].get<double>(), r.ece, r.ece_calibrated_mean,
                 r.ece_p_value, r.uce, r.nll, r.brier, N);
      run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}, {"folds", s.folds}});
    } else if (sweep->parsed()) {
      validate_train_options(s.train);
      validate_data_options(s.data);
      auto temperatures = parse_doubles(s.temperatures, "--temperatures");
      for (double T : temperatures)
        if (!(T > 0)) throw UsageError(fmt::format("--temperatures: {} must be > 0", T));
      LabelledImages tr, va;
      load_split(s.data, ctx.seed(), tr, va);
      if (va.size() == 0) throw UsageError("temperature-sweep needs a validation split (--val-fraction > 0)");
      auto& run = ctx.run("classify-temperature-sweep");
      std::string csv = "temperature,tempering,accuracy,ece,uce,nll,brier,mutual_information\n";
      Series acc{{}, {}, "accuracy", false}, ece{{}, {}, "ECE", true}, uce{{}, {}, "UCE", true};
      for (double T : temperatures) {
        auto t = s.train;
        t.temperature = T;
        auto sub = run.path(fmt::format("T={:g}", T));
        fs::create_directories(sub);
        auto res = train_model_folder(t, s.data, tr, va, ctx.seed(), sub);
        write_metrics(sub, res.val, {{"temperature", T}, {"ensemble", t.ensemble}}, fmt::format("T = {:g}", T));
        csv += fmt::format("{:g},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", T, t.tempering, res.val.accuracy,
                           res.val.ece, res.val.uce, res.val.nll, res.val.brier, res.val.mutual_information);
        write_text_atomic(run.path("temperature_sweep.csv"), csv);
        acc.x.push_back(T), acc.y.push_back(res.val.accuracy);
        ece.x.push_back(T), ece.y.push_back(res.val.ece);
        uce.x.push_back(T), uce.y.push_back(res.val.uce);
        fmt::print("T = {:g}: accuracy {:.4f}  ece {:.4f}  uce {:.4f}\n", T, res.val.accuracy, res.val.ece, res.val.uce);
      }
      LinePlot lp;
      lp.title = fmt::format("Cold-posterior sweep ({} tempering, {})", s.train.tempering, s.train.backbone);
      lp.xlabel = "temperature T";
      lp.ylabel = "accuracy / ECE / UCE";
      lp.logx = true;
      lp.ymin = 0;
      lp.ymax = 1;
      write_line_plot_png(run.path("temperature_sweep.png"), {acc, ece, uce}, lp);
      run.finish({{"temperatures", acc.x.size()}});
    }
  };
}

}  // namespace penumbra::cli
