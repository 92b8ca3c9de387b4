#pragma once
// Runs another program with an argument vector, never through a shell: user text (paths) goes
// to the program as arguments and is never parsed as shell syntax.
#include <string>
#include <vector>

namespace oaconv::apps {

// Starts argv[0] (searched on PATH when it has no '/') with the arguments argv[1..] and waits
// for it. Returns its exit status, or 128 + the signal number when a signal ended it. Throws a
// c10::Error naming `what` when the program cannot be started.
int run_program(const std::vector<std::string>& argv, const char* what);

}  // namespace oaconv::apps
