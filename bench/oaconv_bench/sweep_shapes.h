#pragma once
// The layer shapes oaconv_bench sweeps, by family, and which algorithms run on each.
#include "layer_shape.h"

#include <oaconv/algorithm.h>

#include <cstdint>
#include <string>
#include <vector>

namespace oaconv::bench {

// A layer of any kind (apps::LayerShape: rank, transposed, stride, padding k/2 or (k - s)/2) and
// the family of the sweep it belongs to: image_kernel, channels, batch, depthwise (2-D), conv1d,
// depthwise1d, conv3d, transposed2d, transposed3d.
struct LayerShape : apps::LayerShape {
  std::string family;
  double forward_macs() const { return forward_flops() / 2; }  // direct-equivalent, one forward
  std::string name() const;  // e.g. H64_k7_N8_C16to16_g1, with _s2 for a stride (H: the first size)
};

// A layer of `rank` with every spatial size `size`.
LayerShape cubic_layer(std::string family, int64_t rank, bool transposed, int64_t batch, int64_t in_channels,
                       int64_t out_channels, int64_t size, int64_t kernel, int64_t groups = 1, int64_t stride = 1);

enum class Sweep { kSmoke, kQuick, kStandard };
Sweep sweep_from_string(const std::string& name);  // smoke | quick | standard

std::vector<LayerShape> sweep_shapes(Sweep sweep);

// How long each row is timed: `repetitions` runs of at least `min_time_s` each (their median is
// what counts), or exactly `iterations` per run when that is > 0 (the smoke test). An
// interleaved row - the one auto is judged by - runs `comparison_repetitions` times; each
// repetition runs rounds of every algorithm: at least comparison_min_rounds and
// comparison_min_time_s (forward+backward, which the auto targets judge; pass_min_rounds and
// pass_min_time_s for a single pass), at most comparison_max_time_s (0: no limit) after a
// few. aten against its own code in auto read 1.13-1.19x in each of three repetitions of 20-24
// rounds (0.2 s, N32 16->16 32x32 k1, standard sweep) and 1.01x in 219-560
// rounds: cheap shapes get more rounds from the minimum time. The per-algorithm rows (the
// figures' times) keep 3 repetitions in the standard sweep: with 2, one run of fft on 512x512
// k3 whose spectral product took 814 ms instead of 72 moved its median (then a mean) to 554 ms.
struct SweepTiming {
  int repetitions = 1;
  double min_time_s = 0;
  int64_t iterations = 0;
  int comparison_repetitions = 1;
  int64_t comparison_min_rounds = 2;
  double comparison_min_time_s = 0;
  double comparison_max_time_s = 0;
  int64_t pass_min_rounds = 2;
  double pass_min_time_s = 0;
};
SweepTiming timing_of(Sweep sweep);

// Repetitions of one row: the sweep's, except 1 for an aten or direct row the cost model puts
// over 0.25 s per call (k >= 15 on big images: 10-100x the FFT rows, so far from any
// comparison threshold, and each call long enough to average short noise by itself; five
// repetitions of them would double the sweep), and 1 for auto, whose every repetition measures
// again (0.1-5 s; 260 of the standard sweep's 1290 s with 3): auto is compared in the
// interleaved rows, which repeat its measuring in each of their repetitions.
int repetitions_for(Algorithm algorithm, double modelled_seconds, const SweepTiming& timing);

// A baseline row (aten or direct) the cost model puts over this per call: one repetition, and
// its first call is also its timed one (neither plans nor caches anything worth a separate
// cold call; aten's k >= 15 rows on 512x512 took 12-16 s a call, twice each).
constexpr double kSlowBaselineSeconds = 0.25;
bool is_slow_baseline(Algorithm algorithm, double modelled_seconds);

// Algorithms timed on a shape: aten, fft, oaa and auto everywhere; direct only where a pass
// costs under ~3e8 multiply-adds (beyond that it is 10-100x slower and would dominate the run);
// winograd where it takes the layer. An algorithm the library declines for the layer
// (oaconv::declined_reason) is left out: its row would time aten.
std::vector<Algorithm> algorithms_for(const LayerShape& shape);

}  // namespace oaconv::bench
