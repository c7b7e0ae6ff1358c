#pragma once
// The posterior options of every command that samples a posterior (sample,
// coverage, compare): one list, so a setting added to PosteriorSettings reaches
// all three commands with the same name and help. The sampler and likelihood
// choices and their help come from the registries.
#include <CLI/CLI.hpp>

#include "src/pipelines/posterior_settings.hpp"

namespace penumbra::cli {

void add_posterior_options(CLI::App* app, PosteriorSettings& s);

}  // namespace penumbra::cli
