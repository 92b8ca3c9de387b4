#pragma once
// Resolving Algorithm::kAuto (and any algorithm that cannot run a case) to the algorithm that
// actually runs. A pure function of the case, unit-tested.
#include "conv_geometry.h"

#include <oaconv/algorithm.h>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace oaconv {

// The algorithm that will run `requested` on this case:
//  - our own algorithms run on CPU in float32/float64; anything else (CUDA, float16, bfloat16)
//    falls back to aten, which is always correct;
//  - kAuto picks by the cost model below.
Algorithm resolve_algorithm(Algorithm requested, const ConvGeometry& g, c10::ScalarType dtype,
                            c10::Device device);

// kAuto's pick for a CPU float case, by a cost model of the available algorithms.
Algorithm choose_algorithm(const ConvGeometry& g);

}  // namespace oaconv
