#pragma once
// Figures drawn by the project's matplotlib scripts (Debian's python3-matplotlib): the data go
// to the script as a JSON file, the figure comes back whole or not at all.
#include <string>
#include <vector>

namespace oaconv::apps {

// Runs `script DATA.json DRAWING [extra...]` with /usr/bin/python3, `json` written to a private
// temporary file and DRAWING a temporary beside `out` with its extension (matplotlib picks the
// format from it), renamed over `out` only when the script succeeded. Paths go to the script as
// arguments, never through a shell. Throws a c10::Error naming `command` when the script is
// missing or fails.
void draw_with_script(const char* command, const std::string& script, const std::string& json, const std::string& out,
                      const std::vector<std::string>& extra = {});

// Throws naming `command` when `script` does not exist (checked before any work starts).
void check_plot_script(const char* command, const std::string& script);

}  // namespace oaconv::apps
