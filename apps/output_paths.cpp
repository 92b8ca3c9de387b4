#include "output_paths.h"

#include <c10/util/Exception.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace oaconv::apps {

namespace fs = std::filesystem;

void check_writable_file(const std::string& command, const std::string& path, const char* what) {
  const fs::path p(path);
  TORCH_CHECK(!path.empty(), command, ": ", what, " is an empty path");
  TORCH_CHECK(!p.filename().empty() && !fs::is_directory(p), command, ": ", what, " '", path,
              "' names a directory, not a file");
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(p, ec);
  if (fs::exists(status)) {
    // A link is followed to what it names: that is what would be replaced.
    const fs::file_status target = fs::status(p, ec);
    TORCH_CHECK(fs::is_regular_file(target), command, ": ", what, " '", path,
                "' exists and is not a regular file (a device, FIFO, socket or dangling link); refusing to replace it");
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  TORCH_CHECK(fs::is_directory(dir), command, ": ", what, " '", path, "': directory '", dir.string(),
              "' does not exist");
  // Creating a file proves the directory writable (also on a read-only mount, and as root, where
  // access(2) says yes). The probe has a fresh name and is created exclusively, so no file of
  // the user's is ever touched, and is removed at once.
  for (int attempt = 0;; ++attempt) {
    const fs::path probe = dir / (".oaconv_probe_" + std::to_string(::getpid()) + "_" + std::to_string(attempt));
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      ::unlink(probe.c_str());
      return;
    }
    TORCH_CHECK(errno == EEXIST && attempt < 100, command, ": ", what, " '", path,
                "' is not writable (cannot create files in '", dir.string(), "': ", std::strerror(errno), ")");
  }
}

void check_distinct_files(const std::string& command, const std::vector<NamedFile>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].path.empty()) continue;
    for (size_t j = i + 1; j < files.size(); ++j) {
      if (files[j].path.empty()) continue;
      std::error_code ec_a, ec_b, ec_same;
      const fs::path a = fs::weakly_canonical(files[i].path, ec_a), b = fs::weakly_canonical(files[j].path, ec_b);
      const bool same_path = !ec_a && !ec_b && a == b;
      const bool same_file = fs::exists(files[i].path) && fs::exists(files[j].path) &&
                             fs::equivalent(files[i].path, files[j].path, ec_same) && !ec_same;
      if (!same_path && !same_file) continue;
      const bool input = files[i].is_input || files[j].is_input;
      TORCH_CHECK(false, command, ": ", files[i].option, " '", files[i].path, "' and ", files[j].option, " '",
                  files[j].path, "' are the same file", input ? ": the output would overwrite the input" : "",
                  "; give each its own path");
    }
  }
}

}  // namespace oaconv::apps
