#include "autotune_cache_file.h"

#include <c10/util/Exception.h>

#include <cctype>
#include <sstream>
#include <vector>

namespace oaconv::autotune {

PassTimes unmeasured() {
  PassTimes t;
  for (auto& pass : t) pass.fill(-1.0);
  return t;
}

std::string cache_key(const ConvGeometry& g, c10::ScalarType dtype, int threads, bool channels_last) {
  std::ostringstream s;
  s << (dtype == c10::kDouble ? "float64" : "float32") << (channels_last ? "/channels_last" : "") << " " << threads;
  for (int64_t v : g.to_vector()) s << " " << v;
  return s.str();
}

bool channels_last_layout(const at::Tensor& x, const at::Tensor& w) {
  for (const at::Tensor* t : {&x, &w}) {
    const at::MemoryFormat f = t->suggest_memory_format();
    if (f == at::MemoryFormat::ChannelsLast || f == at::MemoryFormat::ChannelsLast3d) return true;
  }
  return false;
}

namespace {

// The registry's candidates, in its order: the columns of the time tables.
std::string candidate_columns() {
  std::string columns;
  for (int c = 0; c < kCandidates; ++c) columns += (c ? "," : "") + to_string(candidate(c));
  return columns;
}

}  // namespace

std::string format_cache_file(const std::map<std::string, Entry>& entries) {
  const std::string columns = candidate_columns();
  std::ostringstream text;
  text << "# oaconv autotune cache v2: dtype[/channels_last] threads geometry(rank transposed N C O groups, then per axis: in "
          "kernel stride dilation pad_before pad_after out output_padding) : forward grad_input grad_weight | "
          "measured(3) | seconds (pass x "
       << columns << ") | whole-step seconds (" << columns << ") mix\n";
  for (const auto& [key, e] : entries) {
    text << key << " : " << to_string(e.algorithms.forward) << " " << to_string(e.algorithms.grad_input) << " "
         << to_string(e.algorithms.grad_weight) << " |";
    for (bool m : e.measured) text << " " << (m ? 1 : 0);
    text << " |";
    for (const auto& pass : e.seconds)
      for (double t : pass) text << " " << t;
    text << " |";
    for (double t : e.step_seconds) text << " " << t;
    text << " " << e.mix_step_seconds << "\n";
  }
  return text.str();
}

std::map<std::string, Entry> parse_cache_file(std::istream& in, const std::string& path) {
  std::map<std::string, Entry> loaded;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    // A file of the 2-D-only format (v1, 18-number keys): its measurements are remeasured and
    // the file rewritten in this format at the next save, rather than every call failing.
    if (number == 1 && line.rfind("# oaconv autotune cache v1", 0) == 0) {
      TORCH_WARN("oaconv::load_autotune_cache: '", path,
                 "' is an autotune cache of an earlier format (v1); its entries are ignored and measured again");
      return loaded;
    }
    // A file of other candidates (written before an algorithm was added): its columns are not
    // this build's, so its entries are measured again.
    const std::string columns_mark = "seconds (pass x ";
    if (number == 1 && line.rfind("# oaconv autotune cache v2", 0) == 0 && line.find(columns_mark) != std::string::npos) {
      const size_t from = line.find(columns_mark) + columns_mark.size();
      const std::string columns = line.substr(from, line.find(')', from) - from);
      if (columns != candidate_columns()) {
        // Named as far as it reads as names: the header is the file's, any bytes at all.
        std::string shown = columns.substr(0, 80);
        for (char& ch : shown) {
          if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != ',' && ch != '_') ch = '?';
        }
        TORCH_WARN("oaconv::load_autotune_cache: '", path, "' holds times of the algorithms ", shown,
                   columns.size() > shown.size() ? "..." : "", "; this build's are ", candidate_columns(),
                   ": its entries are ignored and measured again");
        return loaded;
      }
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(" : ");
    TORCH_CHECK(colon != std::string::npos, "oaconv::load_autotune_cache: '", path, "' line ", number,
                ": expected 'KEY : forward grad_input grad_weight | ...'");
    const std::string key = line.substr(0, colon);
    std::istringstream key_fields(key);
    std::string dtype;
    std::vector<int64_t> values;
    int64_t v = 0;
    key_fields >> dtype;
    while (key_fields >> v) values.push_back(v);
    const int64_t rank = values.size() >= 2 ? values[1] : 0;
    const std::string layout = "/channels_last";
    if (dtype.size() > layout.size() && dtype.compare(dtype.size() - layout.size(), layout.size(), layout) == 0) {
      dtype.resize(dtype.size() - layout.size());
    }
    TORCH_CHECK((dtype == "float32" || dtype == "float64") && rank >= 1 && rank <= kMaxSpatialRank &&
                    values.size() == 1 + ConvGeometry::vector_size(rank),
                "oaconv::load_autotune_cache: '", path, "' line ", number,
                ": the key must be a dtype (float32 or float64, /channels_last or not), a thread count and a geometry (rank 1-3, then 5 + 8 x rank numbers)");
    std::istringstream rest(line.substr(colon + 3));
    std::string names[3], bar1, bar2, bar3;
    Entry e;
    e.seconds = unmeasured();
    rest >> names[0] >> names[1] >> names[2] >> bar1;
    int m[3] = {0, 0, 0};
    rest >> m[0] >> m[1] >> m[2] >> bar2;
    for (auto& pass : e.seconds)
      for (double& t : pass) rest >> t;
    rest >> bar3;
    for (double& t : e.step_seconds) rest >> t;
    rest >> e.mix_step_seconds;
    TORCH_CHECK(!rest.fail() && bar1 == "|" && bar2 == "|" && bar3 == "|", "oaconv::load_autotune_cache: '", path,
                "' line ", number, ": malformed record");
    try {
      e.algorithms = PassAlgorithms{algorithm_from_string(names[0]), algorithm_from_string(names[1]),
                                    algorithm_from_string(names[2])};
    } catch (const c10::Error&) {
      TORCH_CHECK(false, "oaconv::load_autotune_cache: '", path, "' line ", number, ": unknown algorithm among '",
                  names[0], " ", names[1], " ", names[2], "'");
    }
    TORCH_CHECK(e.algorithms.forward != Algorithm::kAuto && e.algorithms.grad_input != Algorithm::kAuto &&
                    e.algorithms.grad_weight != Algorithm::kAuto,
                "oaconv::load_autotune_cache: '", path, "' line ", number, ": 'auto' is not a resolved algorithm");
    for (int i = 0; i < kPasses; ++i) e.measured[i] = m[i] != 0;
    loaded[key] = e;
  }
  return loaded;
}

}  // namespace oaconv::autotune
