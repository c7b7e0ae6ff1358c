#pragma once
// The Gaussian-limit flags of the commands that draw from a whole-image prior
// alone (prior-sample, prior-validate): one list, the same names and help.
#include <CLI/CLI.hpp>

#include "src/pipelines/prior_sampling.hpp"

namespace penumbra::cli {

void add_gaussian_limit_flags(CLI::App* app, GaussianLimitSettings& s);

}  // namespace penumbra::cli
