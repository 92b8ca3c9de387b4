// `oaconv predict`: classify images (files, or freshly generated targets) with a model trained by
// `oaconv train`; the top classes with probabilities, the accuracy where labels are known, a
// contact sheet of what the model saw, and JSON. Output paths are checked before any work and
// written whole or not at all.
#include "commands.h"
#include "output_paths.h"
#include "threads.h"

#include <oaconv/atomic_file.h>
#include <oaconv/conv.h>
#include <oaconv/datasets/contact_sheet.h>
#include <oaconv/datasets/image_file.h>
#include <oaconv/datasets/uav_targets.h>
#include <oaconv/training/model_card.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

namespace oaconv::apps {
namespace {

constexpr const char* kCommand = "oaconv predict";
constexpr int64_t kMaxTargets = 100'000;
constexpr int64_t kMaxGridCells = 64;   // the contact sheet shows the first inputs only
constexpr int64_t kMaxPrintedLines = 20;
constexpr int64_t kBatch = 256;

namespace ds = oaconv::datasets;

struct PredictArgs {
  std::string checkpoint, preset, grid, json, algorithm = "auto";
  std::vector<std::string> inputs;
  int64_t targets = 0, top = 3;
  uint64_t seed = 1;
  int threads = 0;
};

struct Inputs {
  at::Tensor images;                // (N, 3, S, S) in [0, 1]
  std::vector<std::string> names;   // file paths, or "target <seed>:<index>"
  std::optional<at::Tensor> labels; // (N) int64, for generated targets
};

// An image file as the model's input: the largest centred square (training crops are square and
// a shape must keep its proportions), resized to S x S with antialiasing (a crop is rendered by
// area-averaging a supersampled image, which antialiased resizing matches).
at::Tensor image_as_crop(const std::string& path, int64_t size) {
  const at::Tensor hwc = ds::read_image(path);  // (H, W, 3) in [0, 1]; errors name the path
  const int64_t h = hwc.size(0), w = hwc.size(1), side = std::min(h, w);
  const at::Tensor square = hwc.narrow(0, (h - side) / 2, side).narrow(1, (w - side) / 2, side);
  at::Tensor chw = square.permute({2, 0, 1}).unsqueeze(0).contiguous();
  if (side != size) chw = at::_upsample_bilinear2d_aa(chw, {size, size}, /*align_corners=*/false);
  return chw.squeeze(0).clamp(0, 1);
}

Inputs load_inputs(const PredictArgs& a, const training::ModelCard& card) {
  Inputs in;
  if (a.targets > 0) {
    // The test split: disjoint from every sample training and validation used.
    const ds::UavTargets data(ds::UavTargetsOptions()
                                  .image_size(card.image_size)
                                  .profile(ds::profile_from_string(card.profile))
                                  .difficulty(ds::difficulty_from_string(card.difficulty))
                                  .background_fraction(card.background_fraction)
                                  .label(ds::label_kind_from_string(card.label))
                                  .count(a.targets)
                                  .seed(ds::UavTargets::split_seed(a.seed, ds::Split::kTest)));
    at::Tensor labels;
    std::tie(in.images, labels) = data.render_range(0, a.targets);
    in.labels = labels;
    for (int64_t i = 0; i < a.targets; ++i) in.names.push_back("target " + std::to_string(a.seed) + ":" + std::to_string(i));
    return in;
  }
  std::vector<at::Tensor> crops;
  for (const std::string& path : a.inputs) {
    crops.push_back(image_as_crop(path, card.image_size));
    in.names.push_back(path);
  }
  in.images = at::stack(crops);
  return in;
}

void check_args(const PredictArgs& a) {
  TORCH_CHECK(!a.checkpoint.empty(), kCommand, ": --checkpoint is required");
  TORCH_CHECK(a.inputs.empty() != (a.targets == 0), kCommand,
              ": give either --input IMAGE... or --targets N (generated test targets), not ",
              a.inputs.empty() ? "neither" : "both");
  TORCH_CHECK(a.targets >= 0 && a.targets <= kMaxTargets, kCommand, ": --targets must be from 1 to ", kMaxTargets,
              ", but got ", a.targets);
  TORCH_CHECK(a.top >= 1, kCommand, ": --top must be >= 1, but got ", a.top);
  std::vector<NamedFile> files{{"--checkpoint", a.checkpoint, true}, {"--grid", a.grid}, {"--json", a.json}};
  for (const std::string& input : a.inputs) files.push_back({"--input", input, true});
  check_distinct_files(kCommand, files);
  if (!a.grid.empty()) check_writable_file(kCommand, a.grid, "--grid");
  if (!a.json.empty()) check_writable_file(kCommand, a.json, "--json");
}

void run_predict(const PredictArgs& a) {
  check_args(a);
  const Algorithm algorithm = algorithm_from_string(a.algorithm);
  set_threads(a.threads);
  training::ModelCard card;
  training::TargetClassifier model = training::load_trained_model(a.checkpoint, card);
  TORCH_CHECK(a.preset.empty() || a.preset == card.preset, kCommand, ": --preset ", a.preset, ", but checkpoint '",
              a.checkpoint, "' holds a model of preset ", card.preset, " (", card.classifier_config().describe(), ")");
  set_algorithm(*model, algorithm);
  const Inputs in = load_inputs(a, card);
  const int64_t n = in.images.size(0), classes = static_cast<int64_t>(card.class_names.size());
  const int64_t top = std::min(a.top, classes);

  at::Tensor probabilities;
  {
    at::InferenceMode guard;
    std::vector<at::Tensor> parts;
    for (int64_t b = 0; b < n; b += kBatch) {
      parts.push_back(at::softmax(model->forward(in.images.narrow(0, b, std::min(kBatch, n - b))), 1));
    }
    probabilities = at::cat(parts);
  }
  const auto [top_p, top_c] = probabilities.topk(top, 1);
  const auto p = top_p.accessor<float, 2>();
  const auto c = top_c.accessor<int64_t, 2>();

  std::cout << "model: " << card.classifier_config().describe() << " (preset " << card.preset << "), " << classes
            << " classes, " << card.image_size << "x" << card.image_size << " inputs, algorithm "
            << to_string(algorithm) << std::endl;
  nlohmann::json predictions = nlohmann::json::array();
  int64_t correct = 0;
  std::vector<ds::SheetCell> cells;
  for (int64_t i = 0; i < n; ++i) {
    nlohmann::json entry = {{"input", in.names[i]}, {"top", nlohmann::json::array()}};
    std::string line = in.names[i] + ":";
    for (int64_t k = 0; k < top; ++k) {
      entry["top"].push_back({card.class_names[c[i][k]], p[i][k]});
      char buf[96];
      std::snprintf(buf, sizeof buf, "  %s %.1f%%", card.class_names[c[i][k]].c_str(), 100.0 * p[i][k]);
      line += buf;
    }
    ds::SheetCell cell;
    cell.image = in.images[i];
    char title[96];
    std::snprintf(title, sizeof title, "%s %.0f%%", card.class_names[c[i][0]].c_str(), 100.0 * p[i][0]);
    cell.title = title;
    if (in.labels) {
      const int64_t label = (*in.labels)[i].item<int64_t>();
      const bool right = label == c[i][0];
      correct += right;
      entry["label"] = card.class_names[label];
      line += "  (true: " + card.class_names[label] + (right ? ")" : ", wrong)");
      cell.detail = "true: " + card.class_names[label];
      cell.mark = right ? ds::SheetCell::Mark::kRight : ds::SheetCell::Mark::kWrong;
    } else {
      entry["label"] = nullptr;
      const std::string name = in.names[i];
      cell.detail = name.size() > 24 ? "..." + name.substr(name.size() - 21) : name;
    }
    if (i < kMaxPrintedLines) std::cout << line << "\n";
    if (i < kMaxGridCells) cells.push_back(std::move(cell));
    predictions.push_back(std::move(entry));
  }
  if (n > kMaxPrintedLines) {
    std::cout << "... " << n - kMaxPrintedLines << " more" << (a.json.empty() ? "" : " (all in --json)") << "\n";
  }
  nlohmann::json out = {{"checkpoint", a.checkpoint}, {"model", card.classifier_config().describe()},
                        {"predictions", predictions}};
  if (in.labels) {
    const double accuracy = static_cast<double>(correct) / static_cast<double>(n);
    out["accuracy"] = accuracy;
    std::printf("accuracy: %.1f%% (%lld of %lld; chance %.1f%%)\n", 100 * accuracy, static_cast<long long>(correct),
                static_cast<long long>(n), 100.0 / static_cast<double>(classes));
  }
  std::cout << std::flush;
  if (!a.grid.empty()) {
    ds::write_contact_sheet(a.grid, cells);
    std::cout << "wrote " << a.grid << (n > kMaxGridCells ? " (the first 64 inputs)" : "") << std::endl;
  }
  if (!a.json.empty()) {
    write_file_atomically("oaconv predict: --json", a.json, out.dump(2) + "\n");
    std::cout << "wrote " << a.json << std::endl;
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Classify images or generated targets with a trained checkpoint");
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint written by `oaconv train`")->required();
  cmd->add_option("--input", a->inputs, "Image files (PNG, JPEG, ...): the centred square, resized to the model's input");
  cmd->add_option("--targets", a->targets, "Classify this many freshly generated targets of the test split instead");
  cmd->add_option("--seed", a->seed, "Seed of the generated targets")->capture_default_str();
  cmd->add_option("--top", a->top, "Classes listed per input")->capture_default_str();
  cmd->add_option("--preset", a->preset, "Refuse a checkpoint whose model is not of this preset (small, large)");
  cmd->add_option("--grid", a->grid, "Write a contact sheet of the first 64 inputs with their predictions (PNG)");
  cmd->add_option("--json", a->json, "Write every prediction as JSON");
  cmd->add_option("--algorithm", a->algorithm, "aten, direct, fft, oaa, winograd or auto")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->callback([a] { run_predict(*a); });
}

}  // namespace oaconv::apps
