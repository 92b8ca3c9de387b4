#pragma once
// Data-parallel training across processes: the process group every rank joins (LibTorch's c10d
// ProcessGroupGloo over a TCPStore or FileStore rendezvous), and the collectives the trainer
// needs. The c10d and Gloo headers stay in distributed.cpp.
#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace oaconv::training {

struct DistributedOptions {
  int world_size = 1;
  int rank = 0;
  // tcp://HOST:PORT (rank 0 hosts a TCPStore on PORT; every rank must reach HOST) or
  // file://PATH (a FileStore on a file every rank can open: a shared file system; the file
  // must not exist before the run).
  std::string init_method;
  // How long joining, and any one collective, may wait for the other ranks before this rank
  // stops with an error (a rank that died, hangs or never joined).
  std::chrono::milliseconds timeout{60000};
};

// Throws a c10::Error naming the value and the rule for a world size < 1, a rank outside
// [0, world size), or an init method that is not tcp://HOST:PORT or file://PATH.
void check_distributed_options(const DistributedOptions& options);

class Communicator {
 public:
  // Joins the group: returns once every rank has joined, or throws (after `timeout`, or at once
  // for a port already in use or an unreachable host) naming the init method and the rank.
  static std::shared_ptr<Communicator> connect(const DistributedOptions& options);
  ~Communicator();

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

  // Sums `tensors` (contiguous, CPU) over every rank in place; blocks until done.
  void all_reduce_sum(std::vector<at::Tensor> tensors);
  // Overwrites `tensors` on every rank with rank `root`'s.
  void broadcast(std::vector<at::Tensor> tensors, int root);

  // Starts a sum over every rank of `tensor` in place and returns at once; wait() blocks until
  // it is done. Collectives run in the order they were started, the same order on every rank.
  class Pending {
   public:
    void wait();
   private:
    friend class Communicator;
    struct Work;
    std::shared_ptr<Work> work_;
    Communicator* owner_ = nullptr;
  };
  Pending all_reduce_sum_async(at::Tensor tensor);

  // Seconds this process spent blocked in collectives (waiting for others or for the network).
  double blocked_seconds() const { return blocked_seconds_; }

 private:
  struct Group;
  Communicator() = default;
  std::unique_ptr<Group> group_;
  int rank_ = 0, world_size_ = 1;
  std::string init_method_;
  std::chrono::milliseconds timeout_{60000};
  double blocked_seconds_ = 0;
  void rethrow(const char* what, const std::exception& e) const;
};

}  // namespace oaconv::training
