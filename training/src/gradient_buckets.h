#pragma once
// Averaging gradients over the ranks of a data-parallel run while backward still runs, as
// PyTorch's DistributedDataParallel does: parameters are grouped into buckets of about
// `bucket_bytes`, in the reverse order of their registration (the order backward produces their
// gradients); a hook copies each gradient into its bucket's flat buffer as it is produced, and
// the bucket's all-reduce starts as soon as its last gradient arrives, overlapping the rest of
// backward. finish() waits for the buckets and writes the averages into the gradients.
#include <oaconv/training/distributed.h>

#include <ATen/core/Tensor.h>

#include <vector>

namespace oaconv::training {

class GradientAverager {
 public:
  GradientAverager(std::vector<at::Tensor> parameters, Communicator& communicator, int64_t bucket_bytes = 1 << 20);
  ~GradientAverager();  // removes the hooks
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;

  // Before each backward pass.
  void prepare();
  // After it: starts any bucket whose gradients did not all arrive (a parameter without one
  // counts as zero, on every rank alike), waits for every bucket, and sets each parameter's
  // gradient to the mean over the ranks.
  void finish();
  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Bucket {
    std::vector<size_t> parameters;  // indices into parameters_
    at::Tensor flat;                 // the gradients, concatenated
    size_t arrived = 0;
    Communicator::Pending pending;
  };
  struct Slot {
    size_t bucket = 0;
    int64_t offset = 0;
    bool arrived = false;
    unsigned hook = 0;
  };
  void on_gradient(size_t parameter, const at::Tensor& gradient);
  void start_ready_buckets();
  void start(Bucket& bucket);

  std::vector<at::Tensor> parameters_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  size_t next_to_start_ = 0;
  Communicator& communicator_;
};

}  // namespace oaconv::training
