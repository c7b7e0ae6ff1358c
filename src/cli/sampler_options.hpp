#pragma once
// The sampler options of every command that samples a posterior (sample,
// coverage, compare): one list, so a sampler setting added to SamplerSettings
// reaches all three commands with the same name and help.
#include <CLI/CLI.hpp>

#include "src/pipelines/posterior_pipeline.hpp"

namespace penumbra::cli {

void add_sampler_options(CLI::App* app, SamplerSettings& s);

}  // namespace penumbra::cli
