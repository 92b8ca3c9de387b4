#include "gradient_buckets.h"

#include <ATen/ATen.h>

namespace oaconv::training {

GradientAverager::GradientAverager(std::vector<at::Tensor> parameters, Communicator& communicator, int64_t bucket_bytes)
    : parameters_(std::move(parameters)), slots_(parameters_.size()), communicator_(communicator) {
  // Buckets in reverse registration order; every rank builds the same buckets from the same
  // model, so their all-reduces pair up.
  std::vector<int64_t> sizes;
  for (size_t k = parameters_.size(); k-- > 0;) {
    const at::Tensor& p = parameters_[k];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    if (buckets_.empty() || sizes.back() + bytes > bucket_bytes) {
      buckets_.emplace_back();
      sizes.push_back(0);
    }
    slots_[k].bucket = buckets_.size() - 1;
    slots_[k].offset = sizes.back() / static_cast<int64_t>(p.element_size());
    buckets_.back().parameters.push_back(k);
    sizes.back() += bytes;
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    const at::Tensor& first = parameters_[buckets_[b].parameters[0]];
    buckets_[b].flat = at::zeros({sizes[b] / static_cast<int64_t>(first.element_size())}, first.options());
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    slots_[k].hook = parameters_[k].register_hook([this, k](const at::Tensor& gradient) { on_gradient(k, gradient); });
  }
}

GradientAverager::~GradientAverager() {
  for (size_t k = 0; k < parameters_.size(); ++k) parameters_[k].remove_hook(slots_[k].hook);
  for (Bucket& b : buckets_) {
    try {
      b.pending.wait();  // never leave a collective writing into a freed buffer
    } catch (...) {
    }
  }
}

void GradientAverager::prepare() {
  for (Slot& s : slots_) s.arrived = false;
  for (Bucket& b : buckets_) {
    b.arrived = 0;
    b.flat.zero_();
  }
  next_to_start_ = 0;
}

void GradientAverager::on_gradient(size_t k, const at::Tensor& gradient) {
  Slot& slot = slots_[k];
  Bucket& bucket = buckets_[slot.bucket];
  const at::Tensor& p = parameters_[k];
  at::Tensor view = bucket.flat.narrow(0, slot.offset, p.numel()).view(p.sizes());
  // Autograd sums every use of a leaf before its hook: one call per parameter and pass.
  TORCH_INTERNAL_ASSERT(!slot.arrived, "GradientAverager: a second gradient for parameter ", k, " in one pass");
  view.copy_(gradient);
  slot.arrived = true;
  if (++bucket.arrived == bucket.parameters.size()) start_ready_buckets();
}

// Collectives pair up across ranks by the order they are issued in, so buckets start in index
// order only: a full bucket waits for the ones before it.
void GradientAverager::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() &&
         buckets_[next_to_start_].arrived == buckets_[next_to_start_].parameters.size()) {
    start(buckets_[next_to_start_++]);
  }
}

void GradientAverager::start(Bucket& bucket) {
  bucket.pending = communicator_.all_reduce_sum_async(bucket.flat);
}

void GradientAverager::finish() {
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);
  const double scale = 1.0 / communicator_.world_size();
  for (Bucket& b : buckets_) {
    b.pending.wait();
    b.flat.mul_(scale);
    for (size_t k : b.parameters) {
      at::Tensor& p = parameters_[k];
      const at::Tensor average = b.flat.narrow(0, slots_[k].offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(average);
      } else {
        p.mutable_grad() = average.clone();
      }
    }
  }
}

}  // namespace oaconv::training
