// in_memory_format: the tiled transposes between NCHW (NCDHW) and channels-last give exactly
// ATen's copy, for sizes that are not multiples of the tile, both dtypes, 4-D and 5-D; other
// cases (already packed, empty, strided views, other dtypes) are ATen's own.
#include "memory_format_copy.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

namespace oaconv::testing {
namespace {

void expect_same_tensor(const at::Tensor& got, const at::Tensor& want, at::MemoryFormat format) {
  EXPECT_TRUE(got.is_contiguous(format));
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_EQ(got.strides(), want.contiguous(format).strides());
  EXPECT_TRUE(at::equal(got, want));
}

TEST(InMemoryFormat, TransposesToAndFromChannelsLastExactly) {
  using at::MemoryFormat;
  const std::vector<std::vector<int64_t>> shapes{{3, 37, 5, 7}, {2, 1, 33, 31}, {1, 64, 1, 1}, {2, 5, 3, 4, 6},
                                                 {4, 96, 17, 9}};
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    for (const auto& shape : shapes) {
      const MemoryFormat channels_last = shape.size() == 4 ? MemoryFormat::ChannelsLast : MemoryFormat::ChannelsLast3d;
      const at::Tensor x = at::randn(shape, dtype);
      expect_same_tensor(in_memory_format(x, channels_last), x, channels_last);
      const at::Tensor xl = x.contiguous(channels_last);
      expect_same_tensor(in_memory_format(xl, MemoryFormat::Contiguous), x, MemoryFormat::Contiguous);
      expect_same_tensor(contiguous_nchw(xl), x, MemoryFormat::Contiguous);
    }
  }
}

TEST(InMemoryFormat, OtherCasesAreAtensOwn) {
  using at::MemoryFormat;
  const at::Tensor x = at::randn({2, 6, 9, 8});
  EXPECT_TRUE(in_memory_format(x, MemoryFormat::Contiguous).is_same(x));  // already packed: itself
  const at::Tensor strided = x.slice(3, 0, 8, 2);  // neither layout: a plain copy
  expect_same_tensor(in_memory_format(strided, MemoryFormat::ChannelsLast), strided, MemoryFormat::ChannelsLast);
  expect_same_tensor(contiguous_nchw(strided), strided, MemoryFormat::Contiguous);
  const at::Tensor empty = at::randn({0, 6, 9, 8});
  EXPECT_EQ(in_memory_format(empty, MemoryFormat::ChannelsLast).sizes(), empty.sizes());
  const at::Tensor integers = at::randint(0, 100, {2, 3, 5, 7}, at::kLong);
  expect_same_tensor(in_memory_format(integers, MemoryFormat::ChannelsLast), integers, MemoryFormat::ChannelsLast);
  const at::Tensor vectors = at::randn({4, 5, 6});  // no channels-last for 3-D tensors
  expect_same_tensor(in_memory_format(vectors.transpose(1, 2), MemoryFormat::Contiguous), vectors.transpose(1, 2),
                     MemoryFormat::Contiguous);
}

}  // namespace
}  // namespace oaconv::testing
