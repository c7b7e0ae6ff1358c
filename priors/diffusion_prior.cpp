#include "priors/diffusion_prior.hpp"

#include <fmt/format.h>

#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <vector>

#include "priors/checkpoint.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/shipped_data.hpp"

namespace penumbra {

std::shared_ptr<DiffusionPrior> DiffusionPrior::load(const std::filesystem::path& checkpoint, bool use_ema) {
  auto ck = load_checkpoint(checkpoint);
  const auto& h = ck.header;
  if (!h.is_object() || h.value("format", "") != "penumbra-prior")
    throw DataError(checkpoint.string() + ": not a Penumbra prior checkpoint (header format is not 'penumbra-prior')");
  std::shared_ptr<DiffusionPrior> p(new DiffusionPrior);
  try {
    auto cfg = ScoreNetConfig::from_json(h.at("network"));
    p->sde_ = Sde::from_json(h.at("sde"));
    p->info_ = DataInfo::from_json(h.at("data"));
    p->steps_ = h.at("training").at("step").get<std::int64_t>();
    p->net_ = std::make_unique<ScoreNetwork>(cfg);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(checkpoint.string() + ": " + e.what());
  } catch (const Error& e) {
    throw DataError(checkpoint.string() + ": " + e.what());
  }
  torch::NoGradGuard ng;
  auto copy_in = [&](const std::string& name, torch::Tensor& dst) {
    const auto& src = ck.tensor(name);
    if (src.sizes() != dst.sizes() || src.scalar_type() != dst.scalar_type())
      throw DataError(checkpoint.string() + ": tensor '" + name + "' has shape " + c10::str(src.sizes()) +
                      "; the network of the checkpoint's configuration needs " + c10::str(dst.sizes()));
    dst.copy_(src);
  };
  for (auto& [n, t] : p->net_->named_parameters()) copy_in((use_ema ? "ema/" : "raw/") + n, t);
  for (auto& [n, t] : p->net_->named_buffers()) copy_in("buffer/" + n, t);
  p->net_->set_training(false);
  for (auto& [n, t] : p->net_->named_parameters()) t.requires_grad_(false);
  p->header_ = h;
  p->path_ = checkpoint;
  return p;
}

at::Tensor DiffusionPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  if (x.dim() != 3) throw UsageError("diffusion prior: x must be [B,H,W]; got rank " + std::to_string(x.dim()));
  if (is_patch_prior())
    throw UsageError("diffusion prior " + path_.string() + " is a patch prior (" + std::to_string(info_.patch_size) +
                     "² tiles): use it through a patch prior of the image size");
  if (x.size(1) != info_.height || x.size(2) != info_.width)
    throw UsageError("diffusion prior " + path_.string() + ": trained on " + std::to_string(info_.height) + "×" +
                     std::to_string(info_.width) + " images; got " + std::to_string(x.size(1)) + "×" +
                     std::to_string(x.size(2)));
  auto s = score_at(x, sigma, {});
  if (!limit_.model) return s;
  auto sig = (sigma.to(torch::kFloat64) / scale_).clamp_min(sde_.ve_sigma_min()).reshape({-1});
  std::vector<double> w(std::size_t(sig.size(0)));
  bool any = false;
  for (std::size_t i = 0; i < w.size(); ++i) any |= (w[i] = limit_.weight(sig[std::int64_t(i)].item<double>())) > 0;
  if (!any) return s;
  auto wt = torch::tensor(w, torch::kFloat64).reshape({-1, 1, 1});
  auto sg = limit_.model->score(x.to(torch::kFloat64) / scale_, sig) / scale_;
  return ((1 - wt) * s.to(torch::kFloat64) + wt * sg).to(s.scalar_type());
}

void GaussianLimit::validate() const {
  require_positive("gaussian from", sigma_from);
  if (!(sigma_to > sigma_from))
    fail_check("gaussian to", "> gaussian from = " + std::to_string(sigma_from), sigma_to);
}

double GaussianLimit::weight(double sigma) const {
  if (!model || sigma <= sigma_from) return 0;
  if (sigma >= sigma_to) return 1;
  const double u = std::log(sigma / sigma_from) / std::log(sigma_to / sigma_from);
  return u * u * (3 - 2 * u);
}

void DiffusionPrior::set_gaussian_limit(GaussianLimit limit) {
  if (limit.model) {
    limit.validate();
    if (is_patch_prior())
      throw UsageError("diffusion prior " + path_.string() + ": a patch prior has no whole-image Gaussian limit");
    if (limit.model->height() != info_.height || limit.model->width() != info_.width)
      throw UsageError("diffusion prior " + path_.string() + ": Gaussian limit of " +
                       std::to_string(limit.model->height()) + "×" + std::to_string(limit.model->width()) +
                       " images for a prior of " + std::to_string(info_.height) + "×" + std::to_string(info_.width));
  }
  limit_ = std::move(limit);
}

at::Tensor DiffusionPrior::score_at(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& positions) const {
  auto dtype = x.scalar_type();
  // The network runs in float32; σ = 0 is clamped to the smallest trained level.
  auto xs = (x / scale_).to(torch::kFloat32);
  auto s = (sigma.to(torch::kFloat64) / scale_).clamp_min(sde_.ve_sigma_min()).to(torch::kFloat32);
  auto a = network_input_scale(sde_, net_->config(), s);
  auto out = net_->raw(xs, torch::log(s), a, positions) / s.reshape({-1, 1, 1});
  return (out / scale_).to(dtype);
}

namespace {

// A patch checkpoint's network as the patch score of a PatchPrior.
class NetworkPatchScore final : public PatchScore {
 public:
  explicit NetworkPatchScore(std::shared_ptr<const DiffusionPrior> p) : p_(std::move(p)) {}
  int patch_size() const override { return p_->data_info().patch_size; }
  bool uses_positions() const override { return p_->network().config().coord_channels > 0; }
  int reference_height() const override { return p_->data_info().height; }
  int reference_width() const override { return p_->data_info().width; }
  at::Tensor score(const at::Tensor& patches, const at::Tensor& sigma, const at::Tensor& positions) const override {
    return p_->score_at(patches, sigma, positions);
  }
  double flops_per_patch() const override { return p_->network().flops_per_image(patch_size(), patch_size()); }
  double sigma_max() const override { return p_->sigma_max(); }
  double sigma_min() const override { return p_->sigma_min(); }
  std::string name() const override { return p_->name(); }

 private:
  std::shared_ptr<const DiffusionPrior> p_;
};

}  // namespace

std::shared_ptr<PatchPrior> make_patch_prior(std::shared_ptr<const DiffusionPrior> prior, int height, int width,
                                             const PatchTilingOptions& options) {
  if (!prior->is_patch_prior())
    throw DataError(prior->name() + " is a whole-image prior of " + std::to_string(prior->height()) + "×" +
                    std::to_string(prior->width()) + " pixels, not a patch prior");
  return std::make_shared<PatchPrior>(std::make_shared<NetworkPatchScore>(std::move(prior)), height, width, options);
}

std::string DiffusionPrior::name() const {
  // The Gaussian limit changes the score, so it is part of the name (and of a run's resume fingerprint).
  const std::string limit = limit_.model ? fmt::format(", Gaussian limit ({}) from {:g} to {:g}", limit_.source,
                                                       limit_.sigma_from, limit_.sigma_to)
                                         : "";
  return "diffusion(" + sde_.kind_name() + ", " + path_.filename().string() + ", step " + std::to_string(steps_) +
         limit + ")";
}

void DiffusionPrior::set_physical_scale(double s) {
  if (!(s > 0)) throw UsageError("diffusion prior: physical scale " + std::to_string(s) + "; expected > 0");
  scale_ = s;
}

std::filesystem::path DiffusionPrior::default_checkpoint_path() {
#ifdef PENUMBRA_SOURCE_DIR
  const std::string source_dir = PENUMBRA_SOURCE_DIR;
#else
  const std::string source_dir;
#endif
  return find_shipped_data("prior/default.ckpt", "default prior", source_dir, "give a prior checkpoint explicitly");
}

}  // namespace penumbra
