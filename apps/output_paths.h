#pragma once
// Output files are checked before any work starts, so a typo in a path fails in a second, not
// after the job; the files themselves are then written whole or not at all.
#include <string>

namespace oaconv::apps {

// Throws a c10::Error "<command>: <what> '<path>' ..." when `path` cannot be created: its
// directory is missing or not writable, or the path is a directory.
void check_writable_file(const std::string& command, const std::string& path, const char* what);

}  // namespace oaconv::apps
