#pragma once
// The trained classifier as a TorchScript module, to run outside oaconv: loadable with
// torch::jit::load in C++ and torch.jit.load in Python, no oaconv library needed.
#include <oaconv/training/model_card.h>

#include <string>

namespace oaconv::training {

// Writes `model` (its weights and batch-norm statistics; evaluation behaviour) to `path`
// atomically as a TorchScript module whose forward(images (N, 3, S, S) in [0, 1]) returns the
// logits (N, classes), computing the convolutions with aten's. The module also carries the card's
// `classes` (list of names), `image_size` and `model` (its description) as attributes.
void export_torchscript(TargetClassifier& model, const ModelCard& card, const std::string& path);

}  // namespace oaconv::training
