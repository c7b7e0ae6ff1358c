#include "src/cli/gaussian_limit_flags.hpp"

namespace penumbra::cli {

void add_gaussian_limit_flags(CLI::App* app, GaussianLimitSettings& s) {
  app->add_option("--gaussian-limit", s.kind,
                  "Large-noise treatment of a whole-image prior: blend its score with the exact score of a Gaussian "
                  "fitted to generator images of this kind (galaxies, disks, mix) above --gaussian-from; none: the "
                  "network alone (docs/prior.md)")
      ->capture_default_str();
  app->add_option("--gaussian-from", s.sigma_from, "Noise level (network units) where the Gaussian's weight starts")
      ->capture_default_str();
  app->add_option("--gaussian-to", s.sigma_to, "Noise level (network units) above which the Gaussian's score is used")
      ->capture_default_str();
}

}  // namespace penumbra::cli
