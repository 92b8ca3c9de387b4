#pragma once
// The cost model of each pass and candidate algorithm, on a geometry (internal form of
// oaconv::modelled_pass_seconds).
#include "../conv_geometry.h"

#include <oaconv/autotune.h>

#include <array>

namespace oaconv::autotune {

PassTimes modelled_seconds(const ConvGeometry& g, int threads);

// Each registered algorithm's modelled seconds of one pass (the registry's
// modelled_pass_seconds; pass_model.cpp gives the rates and where they were measured).
double aten_modelled_seconds(const ConvGeometry& g, int threads);
std::array<double, 3> aten_pass_factors(const ConvGeometry& g);
double direct_modelled_seconds(const ConvGeometry& g, int threads);
double fft_modelled_seconds(const ConvGeometry& g, int threads);
double oaa_modelled_seconds(const ConvGeometry& g, int threads);

}  // namespace oaconv::autotune

namespace oaconv {
// Per pass the fastest candidate with a time, aten unless beaten by `margin` (the first step of
// decide_pass_algorithms).
PassAlgorithms per_pass_fastest(const PassTimes& seconds, double margin);
}  // namespace oaconv
