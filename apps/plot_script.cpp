#include "plot_script.h"

#include "run_program.h"

#include <oaconv/atomic_file.h>

#include <c10/util/Exception.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace oaconv::apps {

void check_plot_script(const char* command, const std::string& script) {
  TORCH_CHECK(std::filesystem::exists(script), command, ": the plot script ", script, " is missing");
}

void draw_with_script(const char* command, const std::string& script, const std::string& json, const std::string& out,
                      const std::vector<std::string>& extra) {
  namespace fs = std::filesystem;
  check_plot_script(command, script);
  std::string json_template = (fs::temp_directory_path() / "oaconv_plot_XXXXXX.json").string();
  const int fd = mkstemps(json_template.data(), 5);
  TORCH_CHECK(fd >= 0, command, ": cannot create a temporary file for the plot's data: ", std::strerror(errno));
  ::close(fd);
  const std::string data = json_template;
  const fs::path target(out);
  const std::string drawing =
      (target.parent_path() / (".oaconv_tmp_" + target.stem().string() + target.extension().string())).string();
  auto clean_up = [&] {
    std::error_code ec;
    fs::remove(data, ec);
    fs::remove(drawing, ec);
  };
  write_file_atomically(command, data, json + "\n");
  // Debian's python3-matplotlib belongs to the system interpreter; a python3 earlier on PATH
  // (pyenv, a virtualenv) may not have it.
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<std::string> argv{python, script, data, drawing};
  argv.insert(argv.end(), extra.begin(), extra.end());
  int status = 0;
  try {
    status = run_program(argv, command);
  } catch (...) {
    clean_up();
    throw;
  }
  std::error_code ec;
  if (status == 0) fs::rename(drawing, out, ec);
  clean_up();
  TORCH_CHECK(status == 0, command, ": plotting '", out, "' failed: ", script, " exited with status ", status);
  TORCH_CHECK(!ec, command, ": cannot move the finished plot into '", out, "': ", ec.message());
  std::cout << "wrote " << out << std::endl;
}

}  // namespace oaconv::apps
