#include <oaconv/training/model_card.h>

#include "checkpoint.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

namespace oaconv::training {

ClassifierConfig ModelCard::classifier_config() const {
  ClassifierConfig c;
  c.widths = widths;
  c.kernels = kernels;
  c.num_classes = static_cast<int64_t>(class_names.size());
  return c;
}

std::string ModelCard::to_json() const {
  const nlohmann::json j = {{"preset", preset},   {"widths", widths},   {"kernels", kernels},
                            {"classes", class_names}, {"image_size", image_size}, {"profile", profile},
                            {"difficulty", difficulty}, {"label", label}, {"background_fraction", background_fraction}};
  return j.dump();
}

ModelCard ModelCard::from_json(const std::string& text, const std::string& source) {
  ModelCard card;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    card.preset = j.at("preset").get<std::string>();
    card.widths = j.at("widths").get<std::vector<int64_t>>();
    card.kernels = j.at("kernels").get<std::vector<int64_t>>();
    card.class_names = j.at("classes").get<std::vector<std::string>>();
    card.image_size = j.at("image_size").get<int64_t>();
    card.profile = j.at("profile").get<std::string>();
    card.difficulty = j.at("difficulty").get<std::string>();
    card.label = j.at("label").get<std::string>();
    card.background_fraction = j.at("background_fraction").get<double>();
  } catch (const nlohmann::json::exception& e) {
    TORCH_CHECK(false, "oaconv::training: '", source, "' has a malformed model card (", e.what(), ")");
  }
  TORCH_CHECK(!card.widths.empty() && card.widths.size() == card.kernels.size() && card.class_names.size() >= 2 &&
                  card.image_size >= 1,
              "oaconv::training: '", source, "' has an inconsistent model card (", card.widths.size(), " widths, ",
              card.kernels.size(), " kernels, ", card.class_names.size(), " classes, image size ", card.image_size, ")");
  return card;
}

TargetClassifier load_trained_model(const std::string& checkpoint, ModelCard& card) {
  SavedModel saved = read_saved_model(checkpoint);
  TORCH_CHECK(!saved.model_card.empty(), "oaconv::training: checkpoint '", checkpoint,
              "' has no model card (it was written by an oaconv before cards were recorded, or not by `oaconv "
              "train`); train it again to use it outside training");
  card = ModelCard::from_json(saved.model_card, checkpoint);
  TargetClassifier model(card.classifier_config());
  load_model_weights(checkpoint, saved, model);
  model->eval();
  return model;
}

}  // namespace oaconv::training
