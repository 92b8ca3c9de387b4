#pragma once
// Rendering one sample in stages, so the blur of a whole batch is one oaconv::conv2d call:
//   render_linear_scene: ground texture, target (Cairo coverage masks), light — linear RGB;
//   camera_psf:          the sample's blur kernel (Gaussian PSF convolved with motion);
//   finish_image:        vignetting, shot + read noise, gamma, 8-bit, optional JPEG round trip.
#include "sample_params.h"

#include <cstdint>

namespace oaconv::datasets {

// rgb: planar (3, S, S), linear light.
void render_linear_scene(const SampleParams& p, float* rgb);

// Side of the blur kernel for this size and difficulty: fixed per data set, so a sample's
// pixels never depend on which other samples share its batch.
int64_t psf_kernel_size(int64_t image_size, Difficulty difficulty);
// kernel: (K, K), sums to 1.
void camera_psf(const SampleParams& p, int64_t kernel_size, float* kernel);

// blurred: planar (3, S, S) linear light. out: planar (3, S, S) in [0, 1], 8-bit levels.
void finish_image(const SampleParams& p, const float* blurred, float* out);

// Coverage masks of the target alone, (S, S) each in [0, 1] (tests and the scene renderer).
void render_target_masks(const SampleParams& p, float* shape_mask, float* character_mask);

}  // namespace oaconv::datasets
