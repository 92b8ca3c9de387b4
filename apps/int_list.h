#pragma once
// "8,16,16" -> {8, 16, 16}, with a clear error naming the option for anything else.
#include <cstdint>
#include <string>
#include <vector>

namespace oaconv::apps {

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& what);

}  // namespace oaconv::apps
