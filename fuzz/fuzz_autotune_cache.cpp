// load_autotune_cache on arbitrary text: loaded records or a c10::Error. A record that loads is
// then used for a call of its shape class, which must still be correct (choices a file makes
// are not trusted).
#include "fuzz_support.h"

#include <oaconv/autotune.h>

#include <c10/util/Exception.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = oaconv::fuzz::scratch_path(".autotune");
  oaconv::fuzz::write_bytes(path, data, size);
  try {
    oaconv::load_autotune_cache(path);
  } catch (const c10::Error&) {
  }
  oaconv::clear_autotune_cache();
  return 0;
}
