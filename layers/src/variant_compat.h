#pragma once
// LibTorch's option variants (padding, padding_mode) are c10::variant in 1.13 and
// std::variant from 2.1 on. These helpers work with either.
#include <torch/version.h>

#include <variant>

#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 1)
#include <c10/util/variant.h>
#define OACONV_VARIANT_NS c10
#else
#define OACONV_VARIANT_NS std
#endif

namespace oaconv {

template <typename T, typename V>
bool variant_holds(const V& v) {
  return OACONV_VARIANT_NS::holds_alternative<T>(v);
}

template <typename T, typename V>
const T* variant_get_if(const V& v) {
  return OACONV_VARIANT_NS::get_if<T>(&v);
}

}  // namespace oaconv
