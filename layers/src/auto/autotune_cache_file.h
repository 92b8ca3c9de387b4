#pragma once
// The autotune cache file (OACONV_AUTOTUNE_CACHE, save/load_autotune_cache): one text line per
// measured configuration,
//   KEY : forward grad_input grad_weight | measured(3) | seconds (pass x candidate) | whole-step seconds (candidate) mix
// where KEY is the dtype (with "/channels_last" for a call whose input or weight is channels-last:
// its passes pay other copies and aten runs in another layout), the thread count and the numbers
// of ConvGeometry::to_vector (rank first), and the candidates are the algorithm registry's, in its
// order. Lines starting with '#' are comments.
#include "conv_passes.h"

#include <oaconv/autotune.h>

#include <istream>
#include <map>
#include <string>

namespace oaconv::autotune {

// What `auto` knows about one configuration.
struct Entry {
  PassAlgorithms algorithms;
  PassTimes seconds;
  StepTimes step_seconds = kNoStepTimes;
  double mix_step_seconds = -1;
  bool measured[kPasses] = {false, false, false};
};

// Every time -1 (not measured).
PassTimes unmeasured();

// The key of a configuration: dtype, threads, geometry; and whether its input or weight is
// channels-last (channels_last_layout).
std::string cache_key(const ConvGeometry& g, c10::ScalarType dtype, int threads, bool channels_last = false);

// Whether a call's input or weight suggests a channels-last memory format (2-D or 3-D).
bool channels_last_layout(const at::Tensor& x, const at::Tensor& w);

// The file's text for these entries, header included.
std::string format_cache_file(const std::map<std::string, Entry>& entries);

// The entries of a cache file's text; a malformed line throws a c10::Error naming `path`, the
// line number and what is wrong (nothing is returned then). A file of the earlier v1 format
// gives no entries and a warning.
std::map<std::string, Entry> parse_cache_file(std::istream& in, const std::string& path);

}  // namespace oaconv::autotune
