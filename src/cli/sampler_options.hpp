#pragma once
// The posterior options of every command that samples a posterior (sample,
// coverage, compare): one list, so a setting added to PosteriorSettings reaches
// all three commands with the same name and help. The sampler and likelihood
// choices and their help come from the registries.
#include <CLI/CLI.hpp>

#include "src/pipelines/posterior_settings.hpp"

namespace penumbra::cli {

void add_posterior_options(CLI::App* app, PosteriorSettings& s);

// What every study of simulated observations asks alike (coverage, validate-sampling):
// how many, under which prior, on which grid, how many samples each, and the posterior
// options above.
struct StudyOptions {
  int& n;
  std::string& prior;
  int& size;
  std::string& scale;
  std::int64_t& nsamples;
  std::int64_t& batch;
  PosteriorSettings& posterior;
  std::string& freq;
  std::string& integration;
};
void add_study_options(CLI::App* app, const StudyOptions& o);

}  // namespace penumbra::cli
