#pragma once
// A padded input built one plane at a time, in a buffer that stays in the core's cache.
//
// The direct passes correlate over a zero-padded input: the forward pass over x padded by the
// layer's padding, the grad-input pass over the grad-output with stride - 1 zeros inserted
// between samples and (k - 1) * d - padding zeros around. Padding the whole batch first writes
// and reads back a tensor as large as the input (for a depthwise layer, whose correlation does
// k^2 multiply-adds per element, that copy costs as much as the arithmetic). Per task, only
// the planes the task reads are placed, into a thread's own buffer.
//
// Per axis, padded index p holds source index (p - offset) / spacing when that divides exactly
// and lies in [0, size); every other element is zero.
//
// A strided correlation reads every s-th column of a padded row; SIMD loads need consecutive
// ones. So the columns of a row can be stored in s phases: phase q holds padded columns q,
// q + s, q + 2s, ... (phase_length(padded, s) each), and output columns j .. j + lanes - 1 of tap
// b read phase (b d) mod s from index j + (b d) div s on: one contiguous load.
#include "../conv_geometry.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace oaconv::direct {

struct PlacedAxis {
  int64_t size = 1;     // source samples
  int64_t offset = 0;   // padded index of source sample 0 (negative: leading samples cut)
  int64_t spacing = 1;  // padded samples between source samples (stride of a grad-input)
  int64_t padded = 1;   // padded extent
};

inline int64_t phase_length(int64_t padded, int64_t phases) { return (padded + phases - 1) / phases; }

// Where padded column p is stored in a row of `phases` phases.
inline int64_t phased_column(int64_t p, int64_t phases, int64_t phase_len) {
  return (p % phases) * phase_len + p / phases;
}

// The source index at padded index p, or -1 where the padded input is zero.
inline int64_t placed_source(const PlacedAxis& a, int64_t p) {
  const int64_t q = p - a.offset;
  if (q < 0 || q % a.spacing != 0) return -1;
  const int64_t i = q / a.spacing;
  return i < a.size ? i : -1;
}

// Writes every element of the padded volume dst (axes[0].padded x axes[1].padded rows of
// `phases` x phase_length(axes[2].padded, phases) columns, in phases) from the contiguous
// source volume src (axes[0].size x axes[1].size x axes[2].size).
template <typename T>
void place_volume(const T* src, const PlacedAxis (&axes)[3], T* dst, int64_t phases = 1) {
  const PlacedAxis &ad = axes[0], &ah = axes[1], &aw = axes[2];
  const int64_t phase_len = phase_length(aw.padded, phases);
  const int64_t row = phases * phase_len, slice = ah.padded * row;
  // Source columns that land inside the padded row: [first, last), and where each is stored
  // (worked out once per volume: divisions per element would cost more than the copy).
  int64_t first = 0, last = 0;
  for (int64_t i = 0; i < aw.size; ++i) {
    const int64_t p = aw.offset + i * aw.spacing;
    if (p < 0) first = i + 1;
    if (p < aw.padded) last = i + 1;
  }
  last = std::max(first, last);
  const bool contiguous = phases == 1 && aw.spacing == 1;
  thread_local std::vector<int64_t> column_of;
  if (!contiguous) {
    column_of.resize(static_cast<size_t>(last - first));
    for (int64_t j = first; j < last; ++j) column_of[j - first] = phased_column(aw.offset + j * aw.spacing, phases, phase_len);
  }
  for (int64_t pd = 0; pd < ad.padded; ++pd) {
    const int64_t z = placed_source(ad, pd);
    T* dst_slice = dst + pd * slice;
    if (z < 0) {
      std::fill(dst_slice, dst_slice + slice, T(0));
      continue;
    }
    for (int64_t ph = 0; ph < ah.padded; ++ph) {
      const int64_t i = placed_source(ah, ph);
      T* dst_row = dst_slice + ph * row;
      std::fill(dst_row, dst_row + row, T(0));
      if (i < 0 || last == first) continue;
      const T* src_row = src + (z * ah.size + i) * aw.size;
      if (contiguous) {
        std::memcpy(dst_row + aw.offset + first, src_row + first, static_cast<size_t>(last - first) * sizeof(T));
      } else {
        const int64_t* column = column_of.data();
        for (int64_t j = first; j < last; ++j) dst_row[column[j - first]] = src_row[j];
      }
    }
  }
}

// A thread's buffer for placed planes, 64-byte aligned (whole-vector loads), reused from task
// to task (and pass to pass); a task that needs two at once takes them from two slots.
template <typename T, int kSlot = 0>
T* placed_buffer(int64_t elements) {
  constexpr int64_t kAlign = 64 / sizeof(T);
  thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < elements + kAlign) buffer.resize(static_cast<size_t>(elements + kAlign));
  const auto address = reinterpret_cast<uintptr_t>(buffer.data());
  return buffer.data() + ((64 - address % 64) % 64) / sizeof(T);
}

// The input placed as the forward pass reads it: the layer's padding before each axis, and per
// axis exactly the extent the taps reach, (out - 1) * s + (k - 1) * d + 1. Rank-3 geometry.
inline void forward_input_axes(const ConvGeometry& g, PlacedAxis (&axes)[3]) {
  for (int a = 0; a < 3; ++a) {
    axes[a] = {g.in[a], g.pad_before[a], 1, (g.out[a] - 1) * g.stride[a] + (g.kernel[a] - 1) * g.dilation[a] + 1};
  }
}

}  // namespace oaconv::direct
