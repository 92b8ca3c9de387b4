#pragma once
// What oaconv would do for a convolution, in words: the geometry, the algorithm `auto` (or the
// requested one) resolves to, and for the spectral algorithms their tiling, FFT sizes and
// modelled cost. For `oaconv info --explain` and for users choosing an algorithm.
#include <oaconv/options.h>

#include <c10/util/ArrayRef.h>
#include <c10/core/ScalarType.h>

#include <string>

namespace oaconv {

// channels_last: of calls whose input or weight is channels-last (NHWC, NDHWC), which auto
// measures and remembers apart from contiguous ones.
std::string explain_conv2d(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                           const Conv2dFuncOptions& options = {}, c10::ScalarType dtype = c10::kFloat,
                           bool channels_last = false);

// The same for any kind: a convolution of rank D (ConvFuncOptions<D>: Conv1dFuncOptions, ...)
// or a transposed one (ConvTransposeFuncOptions<D>), sizes as the call would get them (batched).
// channels_last for D = 2 and 3 only.
template <size_t D>
std::string explain_conv(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const ConvFuncOptions<D>& options,
                         c10::ScalarType dtype = c10::kFloat, bool channels_last = false);
template <size_t D>
std::string explain_conv(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                         const ConvTransposeFuncOptions<D>& options, c10::ScalarType dtype = c10::kFloat,
                         bool channels_last = false);

// Why `algorithm` does not run this convolution, or an empty string when it does. A call with a
// declined algorithm runs aten (always correct), and auto never picks a declined candidate; aten
// and auto run every case. For sweeps and commands that must not time an algorithm under another's
// name. Options: any kind's (Conv1dFuncOptions ... ConvTranspose3dFuncOptions); its algorithm()
// is ignored.
template <typename Options>
std::string declined_reason(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                            Algorithm algorithm, c10::ScalarType dtype = c10::kFloat);

// How `algorithm` (fft or oaa) cuts this convolution's image at the current thread count, e.g.
// "2x2 tiles of 32x32 at FFT 40x40". Where oaa's equals fft's (one tile: small images, large
// kernels) the two run the same code.
std::string spectral_tiling(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                            const Conv2dFuncOptions& options, Algorithm algorithm);
// The same for the other kinds (Conv1dFuncOptions, Conv3dFuncOptions, ConvTranspose1d/2d/3dFuncOptions;
// a transposed convolution is tiled as the convolution it is the adjoint of).
template <typename Options>
std::string spectral_tiling(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                            Algorithm algorithm);

}  // namespace oaconv
