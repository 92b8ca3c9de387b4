#include "launch_ranks.h"

#include <c10/util/Exception.h>

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

extern char** environ;

namespace oaconv::apps {
namespace {

// Set in the ranks' environment to the launcher's process id.
constexpr const char* kLauncherVariable = "OACONV_LAUNCHER_PID";

std::vector<std::string>& command_line() {
  static std::vector<std::string> args;
  return args;
}

// The recorded arguments without --nproc and its value (`--nproc N` or `--nproc=N`).
std::vector<std::string> arguments_without_nproc() {
  std::vector<std::string> out;
  const auto& in = command_line();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == "--nproc") {
      ++i;
      continue;
    }
    if (in[i].rfind("--nproc=", 0) == 0) continue;
    out.push_back(in[i]);
  }
  return out;
}

pid_t spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int failed = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args.data(), environ);
  TORCH_CHECK(failed == 0, "cannot start a rank: ", std::strerror(failed));
  return pid;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void set_command_line(int argc, char** argv) { command_line().assign(argv, argv + argc); }

void end_with_launcher() {
  const char* launcher = std::getenv(kLauncherVariable);
  if (launcher == nullptr) return;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The launcher may have died before prctl: then this process was already re-parented.
  if (std::to_string(getppid()) != launcher) std::_Exit(1);
}

int run_local_ranks(const char* command, int nproc, int threads, double timeout_s, bool distributed_options_given) {
  TORCH_CHECK(nproc >= 1 && nproc <= 256, command, ": --nproc must be from 1 to 256, but got ", nproc);
  TORCH_CHECK(!distributed_options_given, command,
              ": --nproc starts the ranks itself; do not combine it with --world-size, --rank or --init-method");
  TORCH_CHECK(!command_line().empty(), command, ": the command line was not recorded");
  char pattern[] = "/tmp/oaconv-ranks-XXXXXX";
  TORCH_CHECK(mkdtemp(pattern) != nullptr, command, ": cannot create a directory for the ranks' rendezvous: ",
              std::strerror(errno));
  const std::string directory = pattern;
  std::vector<std::string> base = arguments_without_nproc();
  if (threads == 0) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    base.push_back("--threads");
    base.push_back(std::to_string(std::max(1u, cores / static_cast<unsigned>(nproc))));
  }
  setenv("GLOO_SOCKET_IFNAME", "lo", 0);  // local ranks talk over the loopback device
  setenv(kLauncherVariable, std::to_string(getpid()).c_str(), 1);
  // Ctrl-C reaches every rank (they share this terminal's process group) and they stop together
  // at a step boundary; this process waits for them instead of dying first.
  std::signal(SIGINT, SIG_IGN);
  std::map<pid_t, int> ranks;
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> argv = base;
    for (const std::string& extra : {std::string("--world-size"), std::to_string(nproc), std::string("--rank"),
                                     std::to_string(r), std::string("--init-method"), "file://" + directory + "/store"}) {
      argv.push_back(extra);
    }
    ranks[spawn(argv)] = r;
  }
  int result = 0, failed_rank = -1;
  auto deadline = std::chrono::steady_clock::time_point::max();
  size_t running = ranks.size();
  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, failed_rank >= 0 ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == 0) {  // a rank failed and others still run: wait for them, within the deadline
      if (std::chrono::steady_clock::now() > deadline) {
        for (const auto& [p, r] : ranks) kill(p, SIGTERM);
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const auto it = ranks.find(pid);
    if (it == ranks.end()) continue;
    const int code = exit_code(status), rank = it->second;
    ranks.erase(it);
    --running;
    if (code != 0 && failed_rank < 0) {
      failed_rank = rank;
      result = code;
      if (code != 130) std::fprintf(stderr, "%s: rank %d of %d exited with status %d\n", command, rank, nproc, code);
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(static_cast<int64_t>((timeout_s + 10) * 1000));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
  return result;
}

}  // namespace oaconv::apps
