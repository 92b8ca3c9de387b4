// `oaconv export`: a checkpoint of `oaconv train` as a TorchScript module (aten convolutions),
// for torch::jit::load / torch.jit.load without oaconv.
#include "commands.h"
#include "output_paths.h"

#include <oaconv/training/export.h>
#include <oaconv/training/model_card.h>

#include <c10/util/Exception.h>

#include <iostream>
#include <memory>

namespace oaconv::apps {
namespace {

constexpr const char* kCommand = "oaconv export";

struct ExportArgs {
  std::string checkpoint, out;
};

void run_export(const ExportArgs& a) {
  check_distinct_files(kCommand, {{"--checkpoint", a.checkpoint, true}, {"--out", a.out}});
  check_writable_file(kCommand, a.out, "--out");
  training::ModelCard card;
  training::TargetClassifier model = training::load_trained_model(a.checkpoint, card);
  training::export_torchscript(model, card, a.out);
  std::cout << "wrote " << a.out << ": TorchScript, forward(images (N, 3, " << card.image_size << ", "
            << card.image_size << ") in [0, 1]) -> logits (N, " << card.class_names.size()
            << "); attributes classes, image_size, model (" << card.classifier_config().describe() << ")" << std::endl;
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write a trained checkpoint as a TorchScript module (torch.jit.load)");
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint written by `oaconv train`")->required();
  cmd->add_option("--out", a->out, "TorchScript file to write (e.g. model.pt)")->required();
  cmd->callback([a] { run_export(*a); });
}

}  // namespace oaconv::apps
