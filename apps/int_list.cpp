#include "int_list.h"

#include <c10/util/Exception.h>

#include <sstream>

namespace oaconv::apps {

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> values;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      values.push_back(std::stoll(item, &used));
      TORCH_CHECK(used == item.size(), "");
    } catch (const std::exception&) {
      TORCH_CHECK(false, what, ": '", item, "' in '", text, "' is not an integer");
    }
  }
  return values;
}

}  // namespace oaconv::apps
