#pragma once
// The cost model of each pass and candidate algorithm, on a geometry (internal form of
// oaconv::modelled_pass_seconds).
#include "../conv_geometry.h"

#include <oaconv/autotune.h>

namespace oaconv::autotune {

PassTimes modelled_seconds(const ConvGeometry& g, int threads);

}  // namespace oaconv::autotune

namespace oaconv {
// Per pass the fastest candidate with a time, aten unless beaten by `margin` (the first step of
// decide_pass_algorithms).
PassAlgorithms per_pass_fastest(const PassTimes& seconds, double margin);
}  // namespace oaconv
