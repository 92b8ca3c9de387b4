#include "workspace_pool.h"

#include <oaconv/profiling.h>

#include <ATen/ATen.h>

#include <list>
#include <mutex>

namespace oaconv::fft {
namespace {

struct Pool {
  std::mutex mutex;
  std::list<at::Tensor> buffers;  // front = most recently handed out
  int64_t bytes = 0;
};

// Whether nothing but the pool holds `buffer`'s memory. Every tensor handed out is a view of a
// pooled buffer; the views share its storage, so the storage's count is the one that tells. (The
// buffer's own TensorImpl count does not: a view made under at::InferenceMode keeps no reference
// to its base, so that count reads 1 while the view is in use.)
bool is_free(const at::Tensor& buffer) { return buffer.storage().use_count() == 1; }

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: tensors may be released during static teardown
  return *p;
}

// Free buffers beyond this are dropped: twice the workspace limit covers a forward's buffers
// still in use while a backward asks for its own.
int64_t pool_budget() { return 2 * workspace_limit(); }

}  // namespace

at::Tensor pooled_empty(at::IntArrayRef sizes, const at::TensorOptions& options) {
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  if (!options.device().is_cpu()) return at::empty(sizes, options);
  // Buffers outlive the call: made under at::InferenceMode they would be inference tensors,
  // which a later call outside that mode could not write in place. So they and their views are
  // always ordinary tensors.
  c10::InferenceMode outside_inference_mode(false);
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto it = p.buffers.begin(); it != p.buffers.end(); ++it) {
    if (is_free(*it) && it->numel() == numel && it->scalar_type() == options.dtype().toScalarType()) {
      p.buffers.splice(p.buffers.begin(), p.buffers, it);
      return p.buffers.front().view(sizes);
    }
  }
  at::Tensor fresh = at::empty({numel}, options);
  const int64_t bytes = static_cast<int64_t>(fresh.nbytes());
  // Make room: drop least recently used free buffers.
  for (auto it = p.buffers.end(); p.bytes + bytes > pool_budget() && it != p.buffers.begin();) {
    --it;
    if (is_free(*it)) {
      p.bytes -= static_cast<int64_t>(it->nbytes());
      it = p.buffers.erase(it);
    }
  }
  if (p.bytes + bytes <= pool_budget()) {
    p.buffers.push_front(fresh);
    p.bytes += bytes;
  }
  return fresh.view(sizes);
}

int64_t workspace_pool_bytes() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().bytes;
}

void clear_workspace_pool() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto it = p.buffers.begin(); it != p.buffers.end();) {
    if (is_free(*it)) {
      p.bytes -= static_cast<int64_t>(it->nbytes());
      it = p.buffers.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace oaconv::fft
