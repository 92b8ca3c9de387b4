#pragma once
// Output files are checked before any work starts, so a typo in a path fails in a second, not
// after the job; the files themselves are then written whole or not at all.
#include <string>
#include <vector>

namespace oaconv::apps {

// Throws a c10::Error "<command>: <what> '<path>' ..." when `path` cannot be written as a
// regular file: its directory is missing or not writable, it names a directory, or it exists and
// is not a regular file (a device node, a FIFO, a socket: an atomic write would replace it, and
// as root that replaces /dev/null itself).
void check_writable_file(const std::string& command, const std::string& path, const char* what);

// One file a command reads or writes, named by its option.
struct NamedFile {
  const char* option;
  std::string path;  // empty: the option was not given
  bool is_input = false;
};

// Throws when two of the given files are the same file (the same path once '.', '..' and
// symbolic links are resolved, or the same existing file under two names): an output must never
// overwrite an input or another output of the same run.
void check_distinct_files(const std::string& command, const std::vector<NamedFile>& files);

}  // namespace oaconv::apps
