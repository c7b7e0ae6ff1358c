#include "src/pipelines/classifier_prediction.hpp"

#include <fmt/format.h>
#include <png.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/augment.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/png.hpp"
#include "src/nn/ensemble.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/classifier_study.hpp"

namespace penumbra {

namespace fs = std::filesystem;

LabelledImages evaluation_images(const ClassifierConfig& cfg, const ClassifierDataOptions& d, std::uint64_t seed,
                                 const std::string& model_dir) {
  std::uint64_t split_seed = cfg.extra.value("split_seed", cfg.extra.value("seed", seed));
  auto data = select_split(d, split_seed);
  if (data.height != cfg.image_size)
    throw DataError(fmt::format("data {} gives {}×{} images; the model in {} takes {}×{} (set the crop)", d.data,
                                data.height, data.width, model_dir, cfg.image_size, cfg.image_size));
  return data;
}

ClassifierEvaluation evaluate_classifier(ClassifierEnsemble& model, const LabelledImages& data, int samples,
                                         const std::string& tta, std::uint64_t seed, const fs::path& dir,
                                         const nlohmann::json& metrics_extra, const std::string& title) {
  require_at_least("posterior samples", samples, 1);
  const auto& cfg = model.config();
  torch::manual_seed(derive_seed(seed, 0xE7A1));
  ClassifierEvaluation out;
  out.samples = (cfg.bayesian ? samples : 1) * static_cast<int>(model.size());
  auto p = predict_probabilities(model, data, cfg.bayesian ? samples : 1, cfg.bayesian,
                                 parse_test_time_augmentation(tta, "test-time augmentation"));
  out.report = calibration_report(p, out.samples, static_cast<std::int64_t>(data.size()), cfg.n_classes, data.labels);
  write_text_atomic(dir / "predictions.csv",
                    image_predictions_header(data.class_names) + image_predictions_rows(p, out.samples, data, -1));
  write_metrics(dir, out.report, metrics_extra, title);
  return out;
}

std::vector<PruneRanking> parse_prune_rankings(const std::string& list) {
  std::vector<PruneRanking> ranks;
  std::stringstream ss(list);
  for (std::string tok; std::getline(ss, tok, ',');) ranks.push_back(parse_prune_ranking(tok));
  return ranks;
}

std::vector<PruningRow> prune_classifier(Classifier& model, const LabelledImages& data,
                                         const std::vector<double>& fractions, const std::vector<PruneRanking>& ranks,
                                         int samples, std::uint64_t seed, const fs::path& dir) {
  require_at_least("posterior samples", samples, 1);
  torch::manual_seed(derive_seed(seed, 0xE7A1));
  auto rows = pruning_study(model, data, fractions, ranks, samples);
  write_pruning_csv(dir / "pruning.csv", rows);
  write_pruning_png(dir / "pruning.png", rows);
  return rows;
}

namespace {

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

// A FITS image scaled to a peak of 1, negative and non-finite pixels set to 0.
std::vector<float> read_fits_peak01(const fs::path& path, int& h, int& w) {
  auto f = read_fits_image(path);
  h = f.grid.ny;
  w = f.grid.nx;
  double mx = 0;
  for (double v : f.pixels)
    if (std::isfinite(v)) mx = std::max(mx, v);
  std::vector<float> px(f.pixels.size());
  for (std::size_t i = 0; i < px.size(); ++i)
    px[i] = std::isfinite(f.pixels[i]) && mx > 0 ? static_cast<float>(std::max(0.0, f.pixels[i]) / mx) : 0.0f;
  return px;
}

}  // namespace

std::vector<float> load_image_for(const ClassifierConfig& cfg, const fs::path& path) {
  require_exists(path.string(), "image");
  std::vector<float> px;
  int h = 0, w = 0;
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".png")
    px = read_png_grey01(path, h, w);
  else if (ext == ".fits" || ext == ".fit" || ext == ".fts")
    px = read_fits_peak01(path, h, w);
  else
    throw UsageError(fmt::format("{}: image type '{}' unknown; expected .fits or .png", path.string(), ext));
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

namespace {

// Images are [row][col] top row first (as stored in MiraBest); the PNG writer
// draws row 0 at the bottom, so rows are flipped to keep the orientation.
ImagePanel to_panel(const at::Tensor& t, const std::string& title, ColorMap cm) {
  auto a = torch::flip(t.to(torch::kFloat64).contiguous(), {0}).contiguous();
  ImagePanel pn;
  pn.nx = static_cast<int>(a.size(1));
  pn.ny = static_cast<int>(a.size(0));
  pn.pixels.assign(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
  pn.title = title;
  pn.cmap = cm;
  return pn;
}

// attention_<n>.png: each image beside the attention maps of `net`, upsampled
// to the image's side.
void write_attention_maps(Classifier& net, const LabelledImages& imgs, const std::vector<std::string>& files,
                          const fs::path& dir) {
  torch::NoGradGuard g;
  net.set_sampling(false);
  const int S = imgs.height;
  for (std::size_t n = 0; n < imgs.size(); ++n) {
    auto x = torch::from_blob(const_cast<float*>(imgs.image(n)), {1, S, S}, torch::kFloat32).clone();
    net.forward(x);
    const auto maps = net.attention_maps();
    if (maps.empty()) return;  // a backbone without attention
    std::vector<ImagePanel> panels;
    panels.push_back(to_panel(x[0], fs::path(files[n]).filename().string(), ColorMap::kInferno));
    int li = 1;
    for (const auto& a : maps) {
      auto up = torch::nn::functional::interpolate(a, torch::nn::functional::InterpolateFuncOptions()
                                                          .size(std::vector<std::int64_t>{S, S})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
      auto pn = to_panel(up[0][0], fmt::format("attention {}", li++), ColorMap::kViridis);
      pn.vmin = 0;
      // A softmax gate's map sums to 1 over its positions: on a 0–1 scale it would be black.
      pn.vmax = net.config().attention_gate == "softmax" ? std::max(1e-12, up.max().item<double>()) : 1.0;
      panels.push_back(pn);
    }
    write_panels_png(dir / fmt::format("attention_{}.png", n), panels, static_cast<int>(panels.size()));
  }
}

}  // namespace

LabelledImages load_images_for(const ClassifierConfig& cfg, const std::vector<std::string>& files) {
  LabelledImages imgs;
  imgs.height = imgs.width = cfg.image_size;
  imgs.class_names = cfg.class_names;
  for (auto& f : files) {
    auto px = load_image_for(cfg, f);
    imgs.pixels.insert(imgs.pixels.end(), px.begin(), px.end());
    imgs.labels.push_back(0);
  }
  return imgs;
}

std::vector<ImageFilePrediction> predict_image_files(ClassifierEnsemble& model, const LabelledImages& imgs,
                                                     const std::vector<std::string>& files, int samples,
                                                     const std::string& tta_name, std::uint64_t seed,
                                                     const fs::path& dir) {
  require_at_least("posterior samples", samples, 1);
  if (files.size() != imgs.size())
    throw InternalError(fmt::format("{} file names for {} images", files.size(), imgs.size()));
  const auto tta = parse_test_time_augmentation(tta_name, "test-time augmentation");
  const auto& cfg = model.config();
  torch::manual_seed(derive_seed(seed, 0x9ED1));
  // K draws from the posterior: `samples` from each member (one per deterministic member).
  const int K = (cfg.bayesian ? samples : 1) * static_cast<int>(model.size());
  const auto N = static_cast<std::int64_t>(imgs.size());
  const int C = cfg.n_classes;
  auto p = predict_probabilities(model, imgs, cfg.bayesian ? samples : 1, cfg.bayesian, tta);
  std::vector<ImageFilePrediction> out;
  nlohmann::json js = nlohmann::json::array();
  for (std::int64_t n = 0; n < N; ++n) {
    const auto& ip = out.emplace_back(ImageFilePrediction{files[n], image_prediction(p, K, N, C, n)}).prediction;
    nlohmann::json probs;
    for (int c = 0; c < C; ++c) probs[cfg.class_names[c]] = {{"mean", ip.mean[c]}, {"std", ip.std[c]}};
    js.push_back({{"image", files[n]},
                  {"class", cfg.class_names[ip.predicted]},
                  {"probabilities", probs},
                  {"predictive_entropy", ip.entropy},
                  {"mutual_information", ip.mutual_information}});
  }
  write_text_atomic(dir / "predictions.json", js.dump(2) + "\n");
  // The maps are member 0's (an ensemble's members attend each in their own way);
  // every backbone that keeps attention maps (attention, ge-attention) gets them.
  write_attention_maps(*model.members[0], imgs, files, dir);
  return out;
}

}  // namespace penumbra
