#include <oaconv/algorithm.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <cctype>

namespace oaconv {

Algorithm algorithm_from_string(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (Algorithm a : all_algorithms()) {
    if (to_string(a) == lower) return a;
  }
  TORCH_CHECK(false, "oaconv::algorithm_from_string: unknown algorithm '", name,
              "'; expected one of aten, direct, fft, oaa, winograd, auto");
}

std::string to_string(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kAten: return "aten";
    case Algorithm::kDirect: return "direct";
    case Algorithm::kFft: return "fft";
    case Algorithm::kOverlapAdd: return "oaa";
    case Algorithm::kWinograd: return "winograd";
    case Algorithm::kAuto: return "auto";
  }
  TORCH_INTERNAL_ASSERT(false, "oaconv::to_string: invalid Algorithm value ",
                        static_cast<int>(algorithm));
}

const std::vector<Algorithm>& all_algorithms() {
  static const std::vector<Algorithm> algorithms{Algorithm::kAten, Algorithm::kDirect,
                                                 Algorithm::kFft, Algorithm::kOverlapAdd,
                                                 Algorithm::kWinograd, Algorithm::kAuto};
  return algorithms;
}

}  // namespace oaconv
