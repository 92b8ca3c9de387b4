#include <oaconv/training/distributed.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <c10/util/Exception.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace oaconv::training {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct InitMethod {
  bool tcp = false;
  std::string host, path;
  int port = 0;
};

// tcp://HOST:PORT or file://PATH, with the rule in the error.
InitMethod parse_init_method(const std::string& text) {
  InitMethod m;
  const std::string rule = "expected tcp://HOST:PORT (PORT 1..65535) or file://PATH";
  if (text.rfind("tcp://", 0) == 0) {
    const std::string rest = text.substr(6);
    const size_t colon = rest.rfind(':');
    TORCH_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < rest.size(), "--init-method '", text,
                "' has no HOST:PORT; ", rule);
    m.tcp = true;
    m.host = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1);
    TORCH_CHECK(port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos, "--init-method '", text,
                "': port '", port, "' is not a number; ", rule);
    m.port = std::stoi(port);
    TORCH_CHECK(m.port >= 1 && m.port <= 65535, "--init-method '", text, "': port ", m.port, " is outside 1..65535");
    return m;
  }
  if (text.rfind("file://", 0) == 0) {
    m.path = text.substr(7);
    TORCH_CHECK(!m.path.empty(), "--init-method '", text, "' names no file; ", rule);
    return m;
  }
  TORCH_CHECK(false, "--init-method '", text, "' is not supported; ", rule);
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

// The network device Gloo's connections use: GLOO_SOCKET_IFNAME when set (as in PyTorch), the
// loopback device for a loopback rendezvous, else the interface this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const InitMethod& m) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  if (m.tcp && is_loopback(m.host)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// The first line of an exception's message (c10 errors append a C++ backtrace).
std::string first_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  return text.substr(0, 400);
}

}  // namespace

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> process_group;
};

struct Communicator::Pending::Work {
  c10::intrusive_ptr<c10d::Work> work;
  at::Tensor tensor;  // kept alive until the collective is done
};

void check_distributed_options(const DistributedOptions& o) {
  TORCH_CHECK(o.world_size >= 1, "--world-size must be at least 1, but got ", o.world_size);
  TORCH_CHECK(o.rank >= 0 && o.rank < o.world_size, "--rank must be in [0, --world-size ", o.world_size, "), but got ",
              o.rank);
  TORCH_CHECK(o.timeout.count() > 0, "--timeout must be positive, but got ", o.timeout.count() / 1000.0, " s");
  if (o.world_size > 1) {
    TORCH_CHECK(!o.init_method.empty(), "--world-size ", o.world_size,
                " needs --init-method tcp://HOST:PORT or file://PATH (where the ranks meet)");
  }
  if (!o.init_method.empty()) parse_init_method(o.init_method);
}

std::shared_ptr<Communicator> Communicator::connect(const DistributedOptions& o) {
  check_distributed_options(o);
  const InitMethod m = parse_init_method(o.init_method);
  std::shared_ptr<Communicator> c(new Communicator());
  c->rank_ = o.rank;
  c->world_size_ = o.world_size;
  c->init_method_ = o.init_method;
  c->timeout_ = o.timeout;
  c->group_ = std::make_unique<Group>();
  const std::string who = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
  try {
    if (m.tcp) {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<std::uint16_t>(m.port);
      store_options.isServer = o.rank == 0;
      store_options.numWorkers = static_cast<size_t>(o.world_size);
      store_options.waitWorkers = true;  // rank 0 waits (up to the timeout) for every rank to connect
      store_options.timeout = o.timeout;
      c->group_->store = c10::make_intrusive<c10d::TCPStore>(m.host, store_options);
    } else {
      c->group_->store = c10::make_intrusive<c10d::FileStore>(m.path, o.world_size);
      c->group_->store->setTimeout(o.timeout);
    }
    auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
    options->devices.push_back(gloo_device(m));
    options->threads = 1;  // collectives run one at a time, in order; compute keeps the cores
    c->group_->process_group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(c->group_->store, o.rank, o.world_size, options);
  } catch (const std::exception& e) {
    const std::string cause = first_line(e);
    const bool port_taken = cause.find("already in use") != std::string::npos ||
                            cause.find("EADDRINUSE") != std::string::npos;
    TORCH_CHECK(false, "oaconv::training: ", who, " could not join the data-parallel group at ", o.init_method,
                port_taken ? " (the port is already in use: choose another)"
                           : " within " + std::to_string(o.timeout.count() / 1000.0).substr(0, 6) +
                                 " s (did every rank start, with the same --world-size and --init-method?)",
                ": ", cause);
  }
  return c;
}

Communicator::~Communicator() = default;

void Communicator::rethrow(const char* what, const std::exception& e) const {
  TORCH_CHECK(false, "oaconv::training: data-parallel ", what, " failed on rank ", rank_, " of ", world_size_, " (",
              init_method_, "): another rank died, stopped, or did not answer within ", timeout_.count() / 1000.0,
              " s: ", first_line(e));
}

void Communicator::all_reduce_sum(std::vector<at::Tensor> tensors) {
  const auto start = Clock::now();
  try {
    group_->process_group->allreduce(tensors)->wait();
  } catch (const std::exception& e) {
    rethrow("all-reduce", e);
  }
  blocked_seconds_ += since(start);
}

void Communicator::broadcast(std::vector<at::Tensor> tensors, int root) {
  const auto start = Clock::now();
  try {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    group_->process_group->broadcast(tensors, options)->wait();
  } catch (const std::exception& e) {
    rethrow("broadcast", e);
  }
  blocked_seconds_ += since(start);
}

Communicator::Pending Communicator::all_reduce_sum_async(at::Tensor tensor) {
  Pending p;
  p.owner_ = this;
  p.work_ = std::make_shared<Pending::Work>();
  p.work_->tensor = tensor;
  try {
    std::vector<at::Tensor> tensors{tensor};
    p.work_->work = group_->process_group->allreduce(tensors);
  } catch (const std::exception& e) {
    rethrow("all-reduce", e);
  }
  return p;
}

void Communicator::Pending::wait() {
  if (!work_) return;
  const auto start = Clock::now();
  try {
    work_->work->wait();
  } catch (const std::exception& e) {
    owner_->rethrow("all-reduce", e);
  }
  owner_->blocked_seconds_ += since(start);
  work_.reset();
}

}  // namespace oaconv::training
