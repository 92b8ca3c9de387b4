#pragma once
// Files written whole or not at all: the bytes go to `path.tmp`, which is renamed over `path`
// only once everything is on disk; on any failure the temporary is removed and a c10::Error
// names the operation, the path and the reason.
#include <string>
#include <vector>

namespace oaconv::datasets {

void write_file_atomically(const std::string& operation, const std::string& path,
                           const std::vector<unsigned char>& bytes);

}  // namespace oaconv::datasets
