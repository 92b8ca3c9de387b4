#pragma once
// `--nproc N`: one command line runs as N local processes of one data-parallel run. The program
// starts itself N times with --world-size N --rank r and a FileStore rendezvous in a fresh
// temporary directory (no port to choose or to collide), connections over the loopback device,
// and the cores divided among the ranks unless --threads says otherwise; it then waits for them.
#include <string>
#include <vector>

namespace oaconv::apps {

// main() records its arguments here, for the ranks' command lines.
void set_command_line(int argc, char** argv);

// In a rank started by run_local_ranks: end this process when the launcher ends (killed, say),
// so that no rank outlives it. Does nothing in other processes.
void end_with_launcher();

// Runs the ranks and returns the exit status to end with: 0 when every rank succeeded, 130
// when they were interrupted, else the first failing rank's status (after reporting it). A rank
// that fails makes the others stop at their next collective; any still running `timeout_s` + 10 s
// later are terminated. Throws a c10::Error naming `command` for a bad --nproc or combination.
int run_local_ranks(const char* command, int nproc, int threads, double timeout_s, bool distributed_options_given);

}  // namespace oaconv::apps
