// `oaconv compare`: the same model, initial weights and data trained once per algorithm; the
// per-epoch table, JSON, and a plot of time and accuracy per epoch.
#include "commands.h"
#include "output_paths.h"
#include "plot_script.h"
#include "threads.h"
#include "training_args.h"

#include <oaconv/atomic_file.h>
#include <oaconv/training/compare.h>

#include <c10/util/Exception.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#ifndef OACONV_PLOT_SCRIPT
#define OACONV_PLOT_SCRIPT "plot_compare.py"
#endif

namespace oaconv::apps {
namespace {

constexpr const char* kCommand = "oaconv compare";

struct CompareArgs : TrainingArgs {
  std::string algorithms = "aten,oaa";
  std::string json, plot;
};

void run_compare(const CompareArgs& a) {
  if (a.nproc > 0) throw ExitStatus{a.run_local_ranks(kCommand)};
  std::vector<Algorithm> algorithms;
  std::stringstream ss(a.algorithms);
  std::string name;
  while (std::getline(ss, name, ',')) algorithms.push_back(algorithm_from_string(name));
  TORCH_CHECK(!algorithms.empty(), "oaconv compare: --algorithms is empty");
  a.distributed_options();  // checked before any file or connection
  if (a.leads()) {  // rank 0 alone writes files
    check_distinct_files(kCommand, {{"--json", a.json}, {"--plot", a.plot}});
    if (!a.json.empty()) check_writable_file(kCommand, a.json, "--json");
    if (!a.plot.empty()) {
      check_writable_file(kCommand, a.plot, "--plot");
      check_plot_script(kCommand, OACONV_PLOT_SCRIPT);
    }
  }
  set_threads(a.threads);
  const std::shared_ptr<training::Communicator> communicator = a.connect();
  TrainingData data = make_training_data(a);
  const training::ClassifierConfig config = a.model_config(static_cast<int64_t>(data.class_names.size()));
  training::install_interrupt_handler();
  training::TrainerOptions trainer_options = a.trainer_options();
  trainer_options.epoch_samples = training_samples(a);
  trainer_options.train_count = a.train_count;
  trainer_options.communicator = communicator;
  if (!a.leads()) trainer_options.progress = 0;
  const training::CompareResult r = training::compare_algorithms(config, a.preset, algorithms, data.train, data.val,
                                                                 trainer_options, a.leads() ? std::cout : quiet_stream());
  if (!a.leads()) return;
  std::cout << "\nper-epoch comparison (" << r.model << ", "
            << (r.processes > 1 ? std::to_string(r.processes) + " processes x " : std::string()) << r.threads
            << " threads; speedup over "
            << to_string(algorithms[0]) << "):\n"
            << training::compare_table(r);
  if (!a.json.empty()) {
    write_file_atomically("oaconv compare: --json", a.json, training::compare_json(r) + "\n");
    std::cout << "wrote " << a.json << std::endl;
  }
  if (!a.plot.empty()) draw_with_script(kCommand, OACONV_PLOT_SCRIPT, training::compare_json(r), a.plot);
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "Train the same model with each algorithm and compare per-epoch times");
  a->add_to(cmd);
  cmd->add_option("--algorithms", a->algorithms, "Comma list; speedups are over the first")->capture_default_str();
  cmd->add_option("--json", a->json, "Write the comparison as JSON");
  cmd->add_option("--plot", a->plot, "Write a PNG of per-epoch time and accuracy per algorithm (matplotlib)");
  cmd->callback([a] { run_compare(*a); });
}

}  // namespace oaconv::apps
