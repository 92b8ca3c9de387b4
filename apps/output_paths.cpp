#include "output_paths.h"

#include <c10/util/Exception.h>

#include <filesystem>
#include <fstream>

namespace oaconv::apps {

namespace fs = std::filesystem;

void check_writable_file(const std::string& command, const std::string& path, const char* what) {
  const fs::path p(path);
  TORCH_CHECK(!p.filename().empty() && !fs::is_directory(p), command, ": ", what, " '", path,
              "' names a directory, not a file");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  TORCH_CHECK(fs::is_directory(dir), command, ": ", what, " '", path, "': directory '", dir.string(),
              "' does not exist");
  const fs::path probe = dir / (".oaconv_probe_" + p.filename().string());
  std::ofstream f(probe);
  TORCH_CHECK(f.good(), command, ": ", what, " '", path, "' is not writable (cannot create files in '",
              dir.string(), "')");
  f.close();
  fs::remove(probe);
}

}  // namespace oaconv::apps
