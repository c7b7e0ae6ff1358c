#include "src/pipelines/label_volume_study.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <limits>
#include <set>
#include <tuple>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/statistics.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/classifier_semi_supervised.hpp"
#include "src/pipelines/distributed_items.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

bool is_mirabest(const ClassifierDataOptions& d) { return d.data.rfind("mirabest:", 0) == 0; }

// A whole number ≥ 1, or −1 for anything else.
int whole_number(const std::string& text) {
  std::size_t used = 0;
  int v = -1;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    return -1;
  }
  return used == text.size() && v >= 1 ? v : -1;
}

int parse_ratio_part(const std::string& text, const std::string& spec) {
  const int v = whole_number(text);
  if (v < 1) throw UsageError(fmt::format("unlabelled pool '{}': expected imbalanced:A:B with whole A, B ≥ 1", spec));
  return v;
}

// FNV-1a of a string: a stable stream index for a pool's draws.
std::uint64_t name_stream(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

int parse_label_count(const std::string& text) {
  if (text == "all") return 0;
  const int n = whole_number(text);
  if (n < 1) throw UsageError(fmt::format("labels: '{}' is not a whole number ≥ 1 or 'all'", text));
  return n;
}

UnlabelledPoolSpec parse_unlabelled_pool(const std::string& spec) {
  using K = UnlabelledPoolSpec::Kind;
  UnlabelledPoolSpec p;
  p.name = spec;
  if (spec == "rest" || spec == "mirabest-rest") {
    p.kind = K::kRest;
  } else if (spec == "degraded" || spec == "shifted:degraded") {
    p.kind = K::kDegraded;
  } else if (spec == "synthetic" || spec == "shifted:synthetic") {
    p.kind = K::kSynthetic;
  } else if (spec.rfind("imbalanced:", 0) == 0) {
    p.kind = K::kImbalanced;
    const auto rest = spec.substr(11);
    const auto colon = rest.find(':');
    if (colon == std::string::npos)
      throw UsageError(fmt::format("unlabelled pool '{}': expected imbalanced:A:B (FRI:FRII)", spec));
    p.fri = parse_ratio_part(rest.substr(0, colon), spec);
    p.frii = parse_ratio_part(rest.substr(colon + 1), spec);
  } else if (spec == "uncertain" || spec == "hybrid" || spec == "confident" || spec == "all") {
    p.kind = K::kSubset;
  } else {
    throw UsageError(fmt::format(
        "unlabelled pool '{}' unknown; expected rest, imbalanced:A:B, degraded, synthetic, uncertain or hybrid", spec));
  }
  return p;
}

void validate(const LabelVolumeOptions& o, const ClassifierDataOptions& d) {
  validate(d);
  require_at_least("folds", o.folds, 2);
  if (o.labels.empty()) throw UsageError("labels: none given");
  for (int n : o.labels) require_non_negative("labels", n);
  if (o.methods.empty()) throw UsageError("methods: none given; expected supervised and/or fixmatch");
  for (const auto& m : o.methods) require_in("methods", m, {"supervised", "fixmatch"});
  require_non_negative("pool size", o.pool_size);
  require_at_least("synthetic pool images", o.n_synthetic, 2);
  validate(o.fixmatch);
  validate(o.degrade);
  require_at_least("replicates", o.shift.replicates, 2);
  if (!(o.shift.level > 0 && o.shift.level < 1)) fail_check("level", "in (0, 1)", o.shift.level);
  if (!d.extra_train.empty()) throw UsageError("label-volume study: the labelled images are one subset; drop the extra training subset");
  if (is_mirabest(d) && d.subset != "confident")
    throw UsageError(fmt::format("label-volume study: subset '{}' would overlap the pools; use confident", d.subset));
  const bool fixmatch = std::count(o.methods.begin(), o.methods.end(), "fixmatch") > 0;
  if (fixmatch && o.pools.empty()) throw UsageError("pools: none given for fixmatch");
  for (const auto& name : o.pools) {
    const auto p = parse_unlabelled_pool(name);
    if (p.kind != UnlabelledPoolSpec::Kind::kSubset) continue;
    if (!is_mirabest(d))
      throw UsageError(fmt::format("unlabelled pool '{}' is a MiraBest subset: it needs MiraBest data", name));
    if (name == d.subset || name == "all")
      throw UsageError(fmt::format("unlabelled pool '{}' overlaps the validation fold (drawn from subset '{}')", name,
                                   d.subset));
  }
  if (fixmatch && o.encoder.empty() && std::count(o.methods.begin(), o.methods.end(), "supervised") == 0)
    throw UsageError("Fréchet encoder: the default is the fold's supervised model; add supervised to the methods "
                     "or give an encoder model folder");
}

std::string LabelVolumeCell::name() const {
  std::string pool_part = pool;
  std::replace(pool_part.begin(), pool_part.end(), ':', '_');
  const auto n = labels == 0 ? std::string("all") : fmt::format("{:04d}", labels);
  return fmt::format("n{}-{}{}-fold{}", n, method, pool.empty() ? "" : "-" + pool_part, fold);
}

std::vector<LabelVolumeCell> label_volume_cells(const LabelVolumeOptions& o) {
  std::vector<LabelVolumeCell> cells;
  const auto has = [&](const char* m) { return std::count(o.methods.begin(), o.methods.end(), m) > 0; };
  if (has("supervised"))
    for (int n : o.labels)
      for (int f = 0; f < o.folds; ++f) cells.push_back({n, "supervised", "", f});
  if (has("fixmatch"))
    for (int n : o.labels)
      for (const auto& p : o.pools)
        for (int f = 0; f < o.folds; ++f) cells.push_back({n, "fixmatch", p, f});
  return cells;
}

namespace {

// A seeded draw of at most `cap` images (all of them for cap 0).
LabelledImages capped(const LabelledImages& images, int cap, std::uint64_t seed) {
  if (cap == 0 || images.size() <= static_cast<std::size_t>(cap)) return images;
  auto idx = seeded_permutation(images.size(), seed, 0xCA9);
  idx.resize(static_cast<std::size_t>(cap));
  std::sort(idx.begin(), idx.end());
  return images.subset(idx);
}

void append(LabelledImages& to, const LabelledImages& from, bool hide_labels) {
  if (from.size() == 0) return;
  if (to.size() == 0 && to.height == 0) {
    to.height = from.height;
    to.width = from.width;
    to.class_names = from.class_names;
  }
  if (from.height != to.height || from.width != to.width)
    throw DataError(fmt::format("unlabelled pool: {}×{} px images next to {}×{}", from.height, from.width, to.height,
                                to.width));
  for (std::size_t i = 0; i < from.size(); ++i) {
    to.push_back_from(from, i);
    if (hide_labels) to.labels.back() = 0;
  }
}

// Exactly A·m FRI and B·m FRII images (m as large as the sources and the cap allow).
LabelledImages imbalanced_pool(const LabelledImages& labelled, int a, int b, int cap, std::uint64_t seed) {
  std::vector<std::size_t> by_class[2];
  for (auto i : seeded_permutation(labelled.size(), seed, 0x1B)) {
    const int c = labelled.labels[i];
    if (c == 0 || c == 1) by_class[c].push_back(i);
  }
  auto m = std::min(by_class[0].size() / a, by_class[1].size() / b);
  if (cap > 0) m = std::min<std::size_t>(m, static_cast<std::size_t>(cap / (a + b)));
  if (m == 0)
    throw DataError(fmt::format("imbalanced pool {}:{}: {} FRI and {} FRII source images cannot make it", a, b,
                                by_class[0].size(), by_class[1].size()));
  std::vector<std::size_t> keep(by_class[0].begin(), by_class[0].begin() + a * m);
  keep.insert(keep.end(), by_class[1].begin(), by_class[1].begin() + b * m);
  std::sort(keep.begin(), keep.end());
  return labelled.subset(keep);
}

}  // namespace

LabelledImages build_unlabelled_pool(const UnlabelledPoolSpec& spec, const PoolSources& s,
                                     const LabelVolumeOptions& o,
                                     const std::function<LabelledImages(const std::string&)>& read_subset,
                                     std::uint64_t seed) {
  using K = UnlabelledPoolSpec::Kind;
  LabelledImages fr_labelled;  // unused + uncertain: both carry FRI/FRII labels
  append(fr_labelled, s.unused, false);
  append(fr_labelled, s.uncertain, false);
  switch (spec.kind) {
    case K::kImbalanced:
      return imbalanced_pool(fr_labelled, spec.fri, spec.frii, o.pool_size, seed);
    case K::kSynthetic:
    case K::kSubset:
      return capped(read_subset(spec.name == "shifted:synthetic" ? "synthetic" : spec.name), o.pool_size, seed);
    case K::kRest:
    case K::kDegraded:
      break;
  }
  auto rest = fr_labelled;
  append(rest, s.hybrid, true);
  if (rest.size() == 0)
    throw DataError(fmt::format("unlabelled pool '{}': no images to draw on (every training image is labelled and "
                                "there are no Uncertain or Hybrid images)",
                                spec.name));
  rest = capped(rest, o.pool_size, seed);
  return spec.kind == K::kDegraded ? degrade_images(rest, o.degrade, derive_seed(seed, 0xDE6)) : rest;
}

void require_disjoint(const LabelledImages& pool, const LabelledImages& val, const std::string& pool_name) {
  const auto key = [](const LabelledImages& im, std::size_t i) {
    std::uint64_t h = 1469598103934665603ull;
    auto* b = reinterpret_cast<const unsigned char*>(im.image(i));
    for (std::size_t k = 0; k < im.image_size() * sizeof(float); ++k) h = (h ^ b[k]) * 1099511628211ull;
    return h;
  };
  std::set<std::uint64_t> seen;
  for (std::size_t i = 0; i < val.size(); ++i) seen.insert(key(val, i));
  std::size_t shared = 0;
  for (std::size_t i = 0; i < pool.size(); ++i) shared += seen.count(key(pool, i));
  if (shared > 0)
    throw DataError(fmt::format("unlabelled pool '{}' shares {} image(s) with the validation fold", pool_name, shared));
}

nlohmann::json LabelVolumeCellResult::to_json() const {
  nlohmann::json j = {{"labels", cell.labels},       {"method", cell.method},
                      {"pool", cell.pool},           {"fold", cell.fold},
                      {"n_labelled", labelled},      {"n_unlabelled", unlabelled},
                      {"n_val", validated},          {"accuracy", accuracy},
                      {"nll", nll},                  {"ece", ece},
                      {"mask_rate", mask_rate},      {"seconds_per_epoch", seconds_per_epoch}};
  if (frechet)
    j["frechet"] = {{"distance", frechet->distance}, {"bias_corrected", frechet->bias_corrected},
                    {"lower", frechet->lower},       {"upper", frechet->upper},
                    {"level", frechet->level},       {"bootstrap_sd", frechet->bootstrap_sd},
                    {"replicates", frechet->replicates}};
  return j;
}

LabelVolumeCellResult LabelVolumeCellResult::from_json(const nlohmann::json& j) {
  LabelVolumeCellResult r;
  try {
    r.cell = {j.at("labels").get<int>(), j.at("method").get<std::string>(), j.at("pool").get<std::string>(),
              j.at("fold").get<int>()};
    r.labelled = j.at("n_labelled").get<std::size_t>();
    r.unlabelled = j.at("n_unlabelled").get<std::size_t>();
    r.validated = j.at("n_val").get<std::size_t>();
    r.accuracy = j.at("accuracy").get<double>();
    r.nll = j.at("nll").get<double>();
    r.ece = j.at("ece").get<double>();
    r.mask_rate = j.at("mask_rate").get<double>();
    r.seconds_per_epoch = j.at("seconds_per_epoch").get<double>();
    r.reused = j.value("reused", false);
    if (j.contains("frechet")) {
      const auto& f = j["frechet"];
      r.frechet = FrechetEstimate{f.at("distance"), f.at("bias_corrected"), f.at("lower"), f.at("upper"),
                                  f.at("bootstrap_sd"), f.at("level"), f.at("replicates")};
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("not a label-volume cell record ({})", e.what()));
  }
  return r;
}

namespace {

// Everything a cell needs, read once per process.
struct StudyInputs {
  const ClassifierTrainOptions& t;
  const ClassifierDataOptions& d;
  const LabelVolumeOptions& o;
  std::uint64_t seed;
  fs::path cells;
  LabelledImages all, uncertain, hybrid;
};

ClassifierDataOptions fold_data(const StudyInputs& s, int fold) {
  auto d = s.d;
  d.folds = s.o.folds;
  d.fold = fold;
  return d;
}

// What a resumed run compares before reusing a cell.
nlohmann::json cell_fingerprint(const StudyInputs& s, const LabelVolumeCell& c) {
  nlohmann::json j = {{"train", train_settings(s.t, fold_data(s, c.fold))}, {"labels", c.labels},
                      {"method", c.method}, {"pool", c.pool}, {"fold", c.fold}, {"folds", s.o.folds},
                      {"seed", s.seed}};
  if (c.method != "fixmatch") return j;
  const auto& f = s.o.fixmatch;
  j.update({{"tau", f.threshold}, {"mu", f.mu}, {"lambda_u", f.lambda_u}, {"ema", f.ema},
            {"pool_size", s.o.pool_size}, {"encoder", s.o.encoder}, {"replicates", s.o.shift.replicates},
            {"level", s.o.shift.level}});
  const auto kind = parse_unlabelled_pool(c.pool).kind;
  if (kind == UnlabelledPoolSpec::Kind::kDegraded) j.update({{"blur", s.o.degrade.blur}, {"noise", s.o.degrade.noise}});
  if (kind == UnlabelledPoolSpec::Kind::kSynthetic) j["n_synthetic"] = s.o.n_synthetic;
  return j;
}

LabelledImages read_pool_subset(const StudyInputs& s, const std::string& name) {
  if (name != "synthetic") return read_labelled_images(s.d, name, s.seed);
  auto dp = s.d;  // a seed of its own: never the synthetic training or validation images
  dp.data = "synthetic";
  dp.n_synthetic = s.o.n_synthetic;
  if (is_mirabest(s.d)) dp.synthetic_size = 150;  // MiraBest's side, then the same crop and binning
  return read_labelled_images(dp, s.d.subset, derive_seed(s.seed, 0x55100L));
}

// The fold's training images not among the labelled ones (take_labelled keeps
// the first labels/C of each class in the training order).
LabelledImages unused_images(const LabelledImages& train, int labels) {
  if (labels == 0) return train.subset({});
  const auto per_class = static_cast<std::size_t>(labels) / train.class_names.size();
  std::vector<std::size_t> taken(train.class_names.size(), 0), keep;
  for (std::size_t i = 0; i < train.size(); ++i)
    if (taken[train.labels[i]]++ >= per_class) keep.push_back(i);
  return train.subset(keep);
}

std::uint64_t cell_seed(const StudyInputs& s, const LabelVolumeCell& c) {
  // The same for both methods at one (labels, fold): the gain is paired.
  return derive_seed(s.seed, 0x1AB0000ull + static_cast<std::uint64_t>(c.labels) * 64 + c.fold);
}

FrechetEstimate cell_frechet(const StudyInputs& s, const LabelVolumeCell& c, const LabelledImages& labelled,
                             const LabelledImages& pool) {
  const fs::path dir =
      s.o.encoder.empty() ? s.cells / LabelVolumeCell{c.labels, "supervised", "", c.fold}.name() : fs::path(s.o.encoder);
  auto encoder = Classifier::load(dir);
  return dataset_shift(*encoder, labelled, pool, s.o.shift, derive_seed(cell_seed(s, c), 0xF8E)).frechet;
}

void train_cell_model(const StudyInputs& s, const LabelVolumeCell& c, Classifier& model,
                      const LabelledImages& labelled, const LabelledImages& pool, LabelVolumeCellResult& r) {
  const auto log_epoch = [&](const EpochSummary& e) {
    log().info("{} epoch {}/{}: loss {:.4f} ({:.1f} s)", c.name(), e.epoch, s.t.epochs, e.loss, e.seconds);
  };
  if (c.method == "fixmatch") {
    FixMatchEpochStats stats;
    r.seconds_per_epoch = train_fixmatch(model, labelled, pool, training_settings(s.t), s.o.fixmatch,
                                         cell_seed(s, c), log_epoch, &stats);
    r.mask_rate = stats.mask_rate;
  } else {
    r.seconds_per_epoch = train_classifier(model, labelled, training_settings(s.t), cell_seed(s, c), log_epoch);
  }
}

LabelVolumeCellResult run_cell(const StudyInputs& s, const LabelVolumeCell& c) {
  const auto dir = s.cells / c.name();
  LabelVolumeCellResult r;
  r.cell = c;
  LabelledImages train, val;
  stratified_fold(s.all, s.o.folds, c.fold, s.seed, train, val);
  const auto labelled = take_labelled(train, c.labels);
  LabelledImages pool;
  if (c.method == "fixmatch") {
    const PoolSources src{unused_images(train, c.labels), s.uncertain, s.hybrid};
    pool = build_unlabelled_pool(parse_unlabelled_pool(c.pool), src, s.o,
                                 [&](const std::string& name) { return read_pool_subset(s, name); },
                                 derive_seed(s.seed, name_stream(c.pool) + c.fold));
    require_disjoint(pool, val, c.pool);
  }
  r.labelled = labelled.size();
  r.unlabelled = pool.size();
  r.validated = val.size();
  auto cfg = member_config(s.t, fold_data(s, c.fold), labelled, val, cell_seed(s, c), s.seed);
  cfg.extra.update({{"ssl", c.method}, {"labels", labelled.size()}, {"unlabelled", c.pool}});
  Classifier model(cfg, cell_seed(s, c));
  train_cell_model(s, c, model, labelled, pool, r);
  fs::create_directories(dir);
  model.save(dir);
  const bool bayesian = model.config().bayesian;
  const int K = bayesian ? s.t.eval_samples : 1;
  torch::manual_seed(derive_seed(cell_seed(s, c), 0xE7A1));
  const auto p = predict_probabilities(model, val, K, bayesian);
  const auto rep = calibration_report(p, K, static_cast<std::int64_t>(val.size()), cfg.n_classes, val.labels);
  r.accuracy = rep.accuracy;
  r.nll = rep.nll;
  r.ece = rep.ece;
  write_metrics(dir, rep, {{"split", "val"}, {"fold", c.fold}, {"ssl", c.method}, {"labels", r.labelled}},
                fmt::format("{} {}", s.t.backbone, c.name()));
  if (c.method == "fixmatch") r.frechet = cell_frechet(s, c, labelled, pool);
  write_text_atomic(dir / "cell.json",
                    nlohmann::json{{"fingerprint", cell_fingerprint(s, c)}, {"result", r.to_json()}}.dump(2) + "\n");
  return r;
}

// A finished cell of an earlier run, or nothing (not resuming, or not finished).
std::optional<LabelVolumeCellResult> reusable_cell(const StudyInputs& s, const LabelVolumeCell& c) {
  const auto path = s.cells / c.name() / "cell.json";
  if (!s.o.resume || !fs::exists(path)) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not a label-volume cell record ({})", path.string(), e.what()));
  }
  if (j.value("fingerprint", nlohmann::json()) != cell_fingerprint(s, c))
    throw UsageError(fmt::format("resuming: cell {} in {} was made with other options; use another output folder",
                                 c.name(), s.cells.parent_path().string()));
  auto r = LabelVolumeCellResult::from_json(j.at("result"));
  r.reused = true;
  return r;
}

}  // namespace

namespace {

double standard_error(const std::vector<double>& v) {
  return v.size() < 2 ? 0.0 : sample_stdev(v) / std::sqrt(static_cast<double>(v.size()));
}

// Pearson's r, or null for fewer than 3 points or a constant coordinate (2 points give ±1 by construction).
nlohmann::json pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 3) return nullptr;
  const double mx = mean(x), my = mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return nullptr;
  return sxy / std::sqrt(sxx * syy);
}

using CurveKey = std::tuple<int, std::string, std::string>;  // labels, method, pool

nlohmann::json curve_entry(const CurveKey& key, const std::vector<const LabelVolumeCellResult*>& cells) {
  std::vector<double> acc, nll, ece, n;
  for (auto* c : cells)
    acc.push_back(c->accuracy), nll.push_back(c->nll), ece.push_back(c->ece),
        n.push_back(static_cast<double>(c->labelled));
  return {{"labels", std::get<0>(key)},  {"method", std::get<1>(key)},   {"pool", std::get<2>(key)},
          {"folds", cells.size()},       {"n_labelled", mean(n)},       {"accuracy", mean(acc)},
          {"accuracy_se", standard_error(acc)}, {"nll", mean(nll)},     {"nll_se", standard_error(nll)},
          {"ece", mean(ece)},            {"ece_se", standard_error(ece)}};
}

// One pool's gain at one label count: fixmatch − supervised per fold.
nlohmann::json gain_entry(int labels, const std::string& pool, const std::vector<const LabelVolumeCellResult*>& fm,
                          const std::map<std::pair<int, int>, const LabelVolumeCellResult*>& supervised,
                          std::vector<std::pair<double, double>>& points) {
  std::vector<double> dacc, dnll, dece, fd, bc, lo, hi;
  for (auto* c : fm) {
    const auto s = supervised.find({labels, c->cell.fold});
    if (s == supervised.end() || !c->frechet) continue;
    dacc.push_back(c->accuracy - s->second->accuracy);
    dnll.push_back(c->nll - s->second->nll);
    dece.push_back(c->ece - s->second->ece);
    fd.push_back(c->frechet->distance);
    bc.push_back(c->frechet->bias_corrected);
    lo.push_back(c->frechet->lower);
    hi.push_back(c->frechet->upper);
    points.emplace_back(fd.back(), dacc.back());
  }
  if (dacc.empty()) return nullptr;
  return {{"labels", labels},           {"pool", pool},
          {"folds", dacc.size()},       {"accuracy_gain", mean(dacc)},
          {"accuracy_gain_se", standard_error(dacc)}, {"nll_gain", mean(dnll)},
          {"nll_gain_se", standard_error(dnll)},      {"ece_gain", mean(dece)},
          {"ece_gain_se", standard_error(dece)},      {"frechet", mean(fd)},
          {"frechet_fold_sd", sample_stdev(fd)},      {"frechet_bias_corrected", mean(bc)},
          {"frechet_lower", mean(lo)},
          {"frechet_upper", mean(hi)}};
}

}  // namespace

nlohmann::json summarise_label_volume(const std::vector<LabelVolumeCellResult>& cells) {
  std::map<CurveKey, std::vector<const LabelVolumeCellResult*>> groups;
  std::map<std::pair<int, int>, const LabelVolumeCellResult*> supervised;
  for (const auto& c : cells) {
    groups[{c.cell.labels, c.cell.method, c.cell.pool}].push_back(&c);
    if (c.cell.method == "supervised") supervised[{c.cell.labels, c.cell.fold}] = &c;
  }
  nlohmann::json curves = nlohmann::json::array(), gains = nlohmann::json::array(), corr = nlohmann::json::array();
  std::map<int, std::vector<std::pair<double, double>>> pool_points, cell_points;
  for (const auto& [key, members] : groups) {
    curves.push_back(curve_entry(key, members));
    const auto& [labels, method, pool] = key;
    if (method != "fixmatch") continue;
    auto g = gain_entry(labels, pool, members, supervised, cell_points[labels]);
    if (g.is_null()) continue;
    pool_points[labels].emplace_back(g["frechet"].get<double>(), g["accuracy_gain"].get<double>());
    gains.push_back(std::move(g));
  }
  const auto r_of = [](const std::vector<std::pair<double, double>>& pts) {
    std::vector<double> x, y;
    for (auto& [a, b] : pts) x.push_back(a), y.push_back(b);
    return pearson(x, y);
  };
  for (const auto& [labels, pts] : pool_points)
    corr.push_back({{"labels", labels}, {"pools", pts.size()}, {"r_pools", r_of(pts)},
                    {"cells", cell_points[labels].size()}, {"r_cells", r_of(cell_points[labels])}});
  return {{"curves", curves}, {"ssl_gain", gains}, {"gain_vs_frechet", corr}};
}

namespace {

std::string cells_csv(const std::vector<LabelVolumeCellResult>& cells) {
  std::string csv =
      "labels,method,pool,fold,n_labelled,n_unlabelled,n_val,accuracy,nll,ece,mask_rate,seconds_per_epoch,"
      "frechet,frechet_bias_corrected,frechet_lower,frechet_upper\n";
  for (const auto& c : cells) {
    csv += fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.4f},{:.3f}", c.cell.labels, c.cell.method,
                       c.cell.pool, c.cell.fold, c.labelled, c.unlabelled, c.validated, c.accuracy, c.nll, c.ece,
                       c.mask_rate, c.seconds_per_epoch);
    const auto& f = c.frechet;
    csv += f ? fmt::format(",{:.6g},{:.6g},{:.6g},{:.6g}\n", f->distance, f->bias_corrected, f->lower, f->upper)
             : std::string(",,,,\n");
  }
  return csv;
}

std::string json_table_csv(const nlohmann::json& rows, const std::vector<std::string>& columns) {
  std::string csv;
  for (const auto& c : columns) csv += (csv.empty() ? "" : ",") + c;
  csv += '\n';
  for (const auto& row : rows) {
    std::string line;
    for (const auto& c : columns) {
      const auto& v = row.at(c);
      line += (line.empty() ? "" : ",") + (v.is_number_float() ? fmt::format("{:.6g}", v.get<double>())
                                           : v.is_string()      ? v.get<std::string>()
                                                                : v.dump());
    }
    csv += line + '\n';
  }
  return csv;
}

// One curve per (method, pool) against the labelled images, each point with
// its ± 1 s.e. bar drawn into the same polyline (down, up, back to the mean).
void write_curves_png(const fs::path& path, const nlohmann::json& curves, const std::string& metric) {
  std::map<std::string, Series> by_curve;
  for (const auto& c : curves) {
    const auto pool = c["pool"].get<std::string>();
    const auto name = c["method"].get<std::string>() + (pool.empty() ? "" : " " + pool);
    auto& s = by_curve[name];
    s.label = name;
    s.dashed = c["method"] == "supervised";
    const double x = c["n_labelled"], m = c[metric], se = c[metric + "_se"];
    for (double y : {m, m - se, m + se, m}) s.x.push_back(x), s.y.push_back(y);
  }
  std::vector<Series> series;
  for (auto& [name, s] : by_curve) {  // curves nudged apart along x (×1.5 % steps) so the bars do not overlap
    const double nudge = 1 + 0.015 * (static_cast<double>(series.size()) - 0.5 * (by_curve.size() - 1));
    for (auto& x : s.x) x *= nudge;
    series.push_back(std::move(s));
  }
  LinePlot p;
  p.title = fmt::format("{} vs labelled images (± 1 s.e. over folds)", metric);
  p.xlabel = "labelled images";
  p.ylabel = metric;
  p.logx = true;
  write_line_plot_png(path, series, p);
}

void write_outputs(const fs::path& root, const std::vector<LabelVolumeCellResult>& cells,
                   const nlohmann::json& summary) {
  write_text_atomic(root / "label_volume.csv", cells_csv(cells));
  write_text_atomic(root / "label_volume_summary.csv",
                    json_table_csv(summary["curves"], {"labels", "method", "pool", "folds", "n_labelled", "accuracy",
                                                       "accuracy_se", "nll", "nll_se", "ece", "ece_se"}));
  write_text_atomic(root / "ssl_gain.csv",
                    json_table_csv(summary["ssl_gain"],
                                   {"labels", "pool", "folds", "accuracy_gain", "accuracy_gain_se", "nll_gain",
                                    "nll_gain_se", "ece_gain", "ece_gain_se", "frechet", "frechet_fold_sd",
                                    "frechet_bias_corrected", "frechet_lower", "frechet_upper"}));
  write_text_atomic(root / "label_volume.json", summary.dump(2) + "\n");
  if (summary["curves"].empty()) return;
  write_curves_png(root / "label_volume_accuracy.png", summary["curves"], "accuracy");
  write_curves_png(root / "label_volume_ece.png", summary["curves"], "ece");
}

StudyInputs read_inputs(const ClassifierTrainOptions& t, const ClassifierDataOptions& d, const LabelVolumeOptions& o,
                        std::uint64_t seed, const fs::path& root) {
  StudyInputs s{t, d, o, seed, root / "cells", {}, {}, {}};
  s.all = read_labelled_images(d, d.subset, seed);
  if (s.all.size() < static_cast<std::size_t>(o.folds))
    throw DataError(fmt::format("data {}: {} images cannot make {} folds", d.data, s.all.size(), o.folds));
  const bool rest = std::any_of(o.pools.begin(), o.pools.end(), [](const std::string& p) {
    const auto k = parse_unlabelled_pool(p).kind;
    return k != UnlabelledPoolSpec::Kind::kSynthetic && k != UnlabelledPoolSpec::Kind::kSubset;
  });
  if (is_mirabest(d) && rest) {
    s.uncertain = read_labelled_images(d, "uncertain", seed);
    s.hybrid = read_labelled_images(d, "hybrid", seed);
  }
  return s;
}

// A bad label count, or a pool with nothing to draw on (e.g. `rest` at all
// labels of synthetic data), stops before any training.
void preflight(const StudyInputs& s) {
  LabelledImages train, val;
  stratified_fold(s.all, s.o.folds, 0, s.seed, train, val);
  const auto none = [](const std::string&) { return LabelledImages{}; };
  for (int n : s.o.labels) {
    take_labelled(train, n);
    if (std::count(s.o.methods.begin(), s.o.methods.end(), "fixmatch") == 0) continue;
    for (const auto& name : s.o.pools) {
      const auto spec = parse_unlabelled_pool(name);
      if (spec.kind == UnlabelledPoolSpec::Kind::kSynthetic || spec.kind == UnlabelledPoolSpec::Kind::kSubset) continue;
      auto o = s.o;
      o.degrade = {0, 0};  // the sizes are all that matter here
      build_unlabelled_pool(spec, {unused_images(train, n), s.uncertain, s.hybrid}, o, none, s.seed);
    }
  }
}

}  // namespace

LabelVolumeResult label_volume_study(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const LabelVolumeOptions& o, std::uint64_t seed, const fs::path& root,
                                     const std::function<void(const LabelVolumeCellResult&)>& on_cell) {
  validate(t);
  validate(o, d);
  if (t.ensemble > 1) throw UsageError("label-volume study: each cell trains one model; drop the ensemble");
  const auto s = read_inputs(t, d, o, seed, root);
  preflight(s);
  const auto cells = label_volume_cells(o);
  const auto n_supervised = static_cast<std::size_t>(
      std::count_if(cells.begin(), cells.end(), [](const LabelVolumeCell& c) { return c.method == "supervised"; }));
  LabelVolumeResult out;
  const auto at_root = [&](std::size_t, const std::string& bytes) {
    out.cells.push_back(LabelVolumeCellResult::from_json(nlohmann::json::parse(bytes)));
    if (on_cell) on_cell(out.cells.back());
    out.summary = summarise_label_volume(out.cells);
    write_outputs(root, out.cells, out.summary);
  };
  const auto phase = [&](std::size_t first, std::size_t n) {  // the encoders exist before the fixmatch cells
    run_distributed_items(
        n,
        [&](std::size_t i) {
          const auto& c = cells[first + i];
          auto r = reusable_cell(s, c);
          auto res = r ? *r : run_cell(s, c);
          auto j = res.to_json();
          j["reused"] = res.reused;
          return j.dump();
        },
        at_root);
  };
  phase(0, n_supervised);
  phase(n_supervised, cells.size() - n_supervised);
  return out;
}

}  // namespace penumbra
