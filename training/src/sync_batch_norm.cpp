#include "sync_batch_norm.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdint>

namespace oaconv::training {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor per_channel(const at::Tensor& v) { return v.view({1, -1, 1, 1}); }

// Over all ranks, with n the global count of values per channel:
//   mean = sum(x) / n,  var = sum(x^2) / n - mean^2,  y = (x - mean) * invstd * weight + bias.
// Backward, with dy the gradient of the loss each rank computed for its own outputs:
//   dx = weight * invstd * (dy - sum(dy) / n - (x - mean) * invstd^2 * sum(dy (x - mean)) / n),
// the sums taken over every rank's dy (each rank's loss depends on every rank's inputs through
// the statistics); dweight = invstd * sum(dy (x - mean)) and dbias = sum(dy) over this rank only,
// since the gradient averaging that follows sums the ranks' parameter gradients.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            at::Tensor running_mean, at::Tensor running_var, double momentum, double eps,
                            int64_t communicator_address) {
    auto* communicator = reinterpret_cast<Communicator*>(communicator_address);
    const int64_t channels = x.size(1);
    // Sums in float64: sum(x^2)/n - mean^2 loses no digits that matter at float32.
    at::Tensor stats = at::cat({x.sum({0, 2, 3}, false, at::kDouble), x.square().sum({0, 2, 3}, false, at::kDouble),
                                at::full({1}, static_cast<double>(x.numel() / channels), at::kDouble)});
    communicator->all_reduce_sum({stats});
    const double n = stats[2 * channels].item<double>();
    TORCH_CHECK(n > 1, "oaconv::training: batch norm needs more than one value per channel over all ranks, but got ", n);
    const at::Tensor mean64 = stats.narrow(0, 0, channels) / n;
    const at::Tensor var64 = (stats.narrow(0, channels, channels) / n - mean64.square()).clamp_min(0);
    {
      at::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean64.to(running_mean.scalar_type()), momentum);
      running_var.mul_(1 - momentum).add_((var64 * (n / (n - 1))).to(running_var.scalar_type()), momentum);
    }
    const at::Tensor mean = mean64.to(x.scalar_type());
    const at::Tensor invstd = (var64 + eps).rsqrt().to(x.scalar_type());
    ctx->save_for_backward({x, weight, mean, invstd});
    ctx->saved_data["n"] = n;
    ctx->saved_data["communicator"] = communicator_address;
    return (x - per_channel(mean)) * per_channel(invstd * weight) + per_channel(bias);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    const double n = ctx->saved_data["n"].toDouble();
    auto* communicator = reinterpret_cast<Communicator*>(ctx->saved_data["communicator"].toInt());
    const at::Tensor dy = grad_outputs[0].contiguous();
    const int64_t channels = x.size(1);
    const at::Tensor centred = x - per_channel(mean);
    const at::Tensor local = at::cat({dy.sum({0, 2, 3}, false, at::kDouble),
                                      (dy * centred).sum({0, 2, 3}, false, at::kDouble)});
    at::Tensor global = local.clone();
    communicator->all_reduce_sum({global});
    const at::Tensor mean_dy = (global.narrow(0, 0, channels) / n).to(x.scalar_type());
    const at::Tensor mean_dy_centred = (global.narrow(0, channels, channels) / n).to(x.scalar_type());
    const at::Tensor dx = (dy - per_channel(mean_dy) - centred * per_channel(invstd.square() * mean_dy_centred)) *
                          per_channel(invstd * weight);
    const at::Tensor dweight = local.narrow(0, channels, channels).to(x.scalar_type()) * invstd;
    const at::Tensor dbias = local.narrow(0, 0, channels).to(x.scalar_type());
    return {dx, dweight, dbias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor sync_batch_norm(const at::Tensor& input, torch::nn::BatchNorm2d& norm, Communicator& communicator) {
  TORCH_CHECK(input.dim() == 4, "oaconv::training: sync_batch_norm expects (N, C, H, W), got ", input.sizes());
  const auto& options = norm->options;
  TORCH_CHECK(options.affine() && options.track_running_stats() && options.momentum().has_value(),
              "oaconv::training: sync_batch_norm needs an affine batch norm with running statistics and a momentum");
  {
    at::NoGradGuard no_grad;
    norm->num_batches_tracked.add_(1);
  }
  return SyncBatchNormFunction::apply(input, norm->weight, norm->bias, norm->running_mean, norm->running_var,
                                      *options.momentum(), options.eps(),
                                      reinterpret_cast<int64_t>(&communicator));
}

}  // namespace oaconv::training
