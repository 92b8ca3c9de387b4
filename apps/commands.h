#pragma once
// Each subcommand of the `oaconv` binary registers itself on the CLI11 app.
#include <CLI/CLI.hpp>

namespace oaconv::apps {

void add_info_command(CLI::App& app);
void add_targets_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_filter_command(CLI::App& app);

}  // namespace oaconv::apps
