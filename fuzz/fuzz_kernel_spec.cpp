// The filter's --kernel parser: the first byte picks a spec string (gaussian:..., box:...), a
// text kernel file or a .npy kernel file with the rest as its contents. A 2-D kernel within the limits, or a c10::Error.
#include "fuzz_support.h"
#include "kernel_spec.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string text_path = oaconv::fuzz::scratch_path(".txt");
  static const std::string npy_path = oaconv::fuzz::scratch_path(".npy");
  std::string spec;
  if (data[0] % 3 == 0) {
    spec.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    // A spec naming an existing file would read it: keep the fuzzer on the parsers.
    if (spec.find('/') != std::string::npos || spec.find('.') == 0) return 0;
  } else {
    spec = data[0] % 3 == 1 ? text_path : npy_path;
    oaconv::fuzz::write_bytes(spec, data + 1, size - 1);
  }
  try {
    const at::Tensor k = oaconv::apps::kernel_from_spec(spec);
    if (k.dim() != 2 || k.numel() == 0 || k.size(0) > 4096 || k.size(1) > 4096) std::abort();
  } catch (const c10::Error&) {
  }
  return 0;
}
