#pragma once
// Batch normalisation in training mode over the union of every rank's batch (PyTorch's
// SyncBatchNorm): the statistics, the running averages and the backward pass's two reductions
// are summed over the ranks, so a data-parallel step equals one process's step on the whole
// global batch.
#include <oaconv/training/distributed.h>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/batchnorm.h>

namespace oaconv::training {

// `input` (N, C, H, W); uses and updates `norm`'s weight, bias and running statistics.
at::Tensor sync_batch_norm(const at::Tensor& input, torch::nn::BatchNorm2d& norm, Communicator& communicator);

}  // namespace oaconv::training
