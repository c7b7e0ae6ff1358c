#pragma once
// The subcommands, one file each; main.cpp lists them explicitly (no static
// self-registration). Each adds its CLI11 subcommand to `root` and returns what runs.
#include "src/cli/context.hpp"

namespace penumbra::cli {

Runner add_version(CLI::App& root);
Runner add_info(CLI::App& root);
Runner add_image(CLI::App& root);
Runner add_simulate(CLI::App& root);
Runner add_sample(CLI::App& root);
Runner add_clean(CLI::App& root);
Runner add_map(CLI::App& root);
Runner add_coverage(CLI::App& root);
Runner add_validate_sampling(CLI::App& root);
Runner add_compare(CLI::App& root);
Runner add_bench(CLI::App& root);
Runner add_classify(CLI::App& root);
Runner add_dataset(CLI::App& root);
Runner add_train_prior(CLI::App& root);
Runner add_prior_sample(CLI::App& root);
Runner add_prior_validate(CLI::App& root);
Runner add_tags(CLI::App& root);
Runner add_pretrain(CLI::App& root);
Runner add_finetune(CLI::App& root);
Runner add_scaling(CLI::App& root);

}  // namespace penumbra::cli
