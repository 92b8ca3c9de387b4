#pragma once
// Shared by the fuzz targets: the input as a file (the readers under test take paths), and the
// rule every target enforces — bad input may only end in a c10::Error, never in a crash, a
// sanitizer report, a hang, or another exception type (an uncaught one aborts the run, which
// libFuzzer reports as a finding).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace oaconv::fuzz {

// A per-process scratch path with the given suffix (readers may dispatch on the extension).
inline std::string scratch_path(const char* suffix) {
  return "/tmp/oaconv_fuzz_" + std::to_string(::getpid()) + suffix;
}

// Writes the fuzzer's bytes to `path`, replacing what was there.
inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace oaconv::fuzz
