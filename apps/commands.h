#pragma once
// Each subcommand of the `oaconv` binary registers itself on the CLI11 app.
#include <CLI/CLI.hpp>

namespace oaconv::apps {

// Thrown by a command that ended its work early but cleanly, to end the program with `code`
// (130 after Ctrl-C, as a shell reports an interrupted program) instead of success.
struct ExitStatus {
  int code;
};

void add_info_command(CLI::App& app);
void add_targets_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_filter_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_export_command(CLI::App& app);

}  // namespace oaconv::apps
