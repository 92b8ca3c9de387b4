#include "atomic_file.h"

#include <c10/util/Exception.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace oaconv::datasets {

void write_file_atomically(const std::string& operation, const std::string& path,
                           const std::vector<unsigned char>& bytes) {
  const std::string temporary = path + ".tmp";
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  TORCH_CHECK(f != nullptr, operation, ": cannot write '", path, "': ", std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, operation, ": writing '", path, "' failed: ", std::strerror(written ? errno : write_errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, operation, ": cannot move the finished file into '", path, "': ", ec.message());
  }
}

}  // namespace oaconv::datasets
