#pragma once
// What `oaconv train` writes into a checkpoint beside the weights, so that the checkpoint can be
// used without the command line that made it: the model's shape, the names of its classes and
// the data it learned from (image size, rule profile, difficulty, background share, label).
#include <oaconv/training/target_classifier.h>

#include <string>
#include <vector>

namespace oaconv::training {

struct ModelCard {
  std::string preset = "custom";  // "small", "large", or "custom" (--widths/--kernels)
  std::vector<int64_t> widths, kernels;
  std::vector<std::string> class_names;  // index = class id
  int64_t image_size = 64;
  std::string profile = "2017", difficulty = "default", label = "shape";
  double background_fraction = 0;

  ClassifierConfig classifier_config() const;
  std::string to_json() const;
  // Throws a c10::Error naming `source` (a path) when the text is not a valid card.
  static ModelCard from_json(const std::string& text, const std::string& source);
};

// The trained model of a checkpoint written by `oaconv train`, in eval mode with its weights and
// batch-norm statistics loaded, and its card. Throws a c10::Error naming the path when the file
// is missing, corrupt, not an oaconv checkpoint, has no card (written before cards existed), or
// its weights do not match the card's model.
TargetClassifier load_trained_model(const std::string& checkpoint, ModelCard& card);

}  // namespace oaconv::training
