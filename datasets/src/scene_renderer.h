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

// The camera blur, applied as three convolutions: the Gaussian PSF separably (a row pass and a
// column pass of one 1-D kernel) and the motion segment as a small 2-D kernel. Kernel sizes are
// fixed per data set (size and difficulty), so a sample's pixels never depend on which other
// samples share its batch.
struct BlurSizes {
  int64_t gaussian = 1;  // taps of the 1-D Gaussian
  int64_t motion = 1;    // side of the motion kernel
};
BlurSizes blur_sizes(int64_t image_size, Difficulty difficulty);
// gaussian: (sizes.gaussian) summing to 1; motion: (sizes.motion, sizes.motion) summing to 1.
void camera_blur(const SampleParams& p, const BlurSizes& sizes, float* gaussian, float* motion);

// blurred: planar (3, S, S) linear light. out: planar (3, S, S) in [0, 1], 8-bit levels.
void finish_image(const SampleParams& p, const float* blurred, float* out);

// Coverage masks of the target alone, (S, S) each in [0, 1] (tests and the scene renderer).
void render_target_masks(const SampleParams& p, float* shape_mask, float* character_mask);

}  // namespace oaconv::datasets
