#include "run_program.h"

#include <c10/util/Exception.h>

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace oaconv::apps {

int run_program(const std::vector<std::string>& argv, const char* what) {
  TORCH_CHECK(!argv.empty(), what, ": no program to run");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int started = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  TORCH_CHECK(started == 0, what, ": cannot start '", argv[0], "': ", std::strerror(started));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    TORCH_CHECK(errno == EINTR, what, ": waiting for '", argv[0], "' failed: ", std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace oaconv::apps
