// `oaconv`: one binary, one subcommand per job.
#include "commands.h"
#include "launch_ranks.h"
#include "threads.h"

#include <oaconv/allocator_tuning.h>

#include <c10/util/Exception.h>

#include <iostream>

int main(int argc, char** argv) {
  oaconv::keep_freed_memory();
  oaconv::apps::set_command_line(argc, argv);
  oaconv::apps::end_with_launcher();
  CLI::App app{"oaconv: CNN convolution layers with swappable algorithms (aten, direct, fft, oaa, winograd, auto), and an image filter"};
  app.require_subcommand(1);
  oaconv::apps::add_info_command(app);
  oaconv::apps::add_targets_command(app);
  oaconv::apps::add_train_command(app);
  oaconv::apps::add_compare_command(app);
  oaconv::apps::add_predict_command(app);
  oaconv::apps::add_export_command(app);
  oaconv::apps::add_filter_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const oaconv::apps::ExitStatus& e) {
    return e.code;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
