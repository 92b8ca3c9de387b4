#pragma once
// Reuse of the spectral algorithms' large transient buffers across calls.
//
// A training step asks for the same buffer sizes every time. Fresh allocations of tens of MiB
// come from mmap and are page-faulted in on first touch, which on this machine kind cost as
// much as the FFTs themselves. The pool keeps buffers it handed out; a buffer is free again as
// soon as nobody but the pool holds it (use_count == 1). Bounded in bytes, least recently
// used free buffers dropped first.
#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

namespace oaconv::fft {

// Like at::empty(sizes, options) (contiguous, uninitialised), from the pool when possible.
at::Tensor pooled_empty(at::IntArrayRef sizes, const at::TensorOptions& options);

// Bytes held by the pool (in use or free), and dropping every free buffer.
int64_t workspace_pool_bytes();
void clear_workspace_pool();

}  // namespace oaconv::fft
