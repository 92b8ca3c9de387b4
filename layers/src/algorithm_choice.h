#pragma once
// Resolving Algorithm::kAuto (and any algorithm that cannot run a case) to the algorithm that
// actually runs. A pure function of the case, unit-tested.
#include "conv_geometry.h"

#include <oaconv/algorithm.h>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace oaconv {

// True when this case can run with our own algorithms at all: on CPU in float32/float64 with
// at least one input channel. Anything else runs with aten.
bool ours_can_run(const ConvGeometry& g, c10::ScalarType dtype, c10::Device device);

// The algorithm that will run `requested` on this case:
//  - cases outside ours_can_run, and a requested algorithm that declines the case, run with
//    aten, which is always correct;
//  - kAuto picks by the cost model below.
Algorithm resolve_algorithm(Algorithm requested, const ConvGeometry& g, c10::ScalarType dtype,
                            c10::Device device);

// kAuto's pick for a CPU float case, by a cost model of the available algorithms.
Algorithm choose_algorithm(const ConvGeometry& g);

}  // namespace oaconv
