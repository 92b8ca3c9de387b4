// .npy and image files: byte-for-byte agreement with numpy.save, round trips, and a clear error
// (never a crash or a half-written file) for every malformed input.
#include <oaconv/datasets/image_file.h>
#include <oaconv/datasets/npy.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace oaconv::datasets {
namespace {

namespace fs = std::filesystem;

// numpy.save(f, numpy.arange(6, dtype='<f4').reshape(2, 3)) and of [[1.5, -2.0]] as '<f8'.
const char* kNumpyF4 =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c"
    "20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000"
    "a040";
const char* kNumpyF8 =
    "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c"
    "20277368617065273a2028312c2032292c207d20202020202020202020202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020200a000000000000f83f00000000000000c0";

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

class ImageIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("oaconv_image_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  std::string read(const std::string& p) const {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void expect_error(const std::function<void()>& f, const std::string& fragment) {
    try {
      f();
      ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  }
  bool leftovers() const {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().find(".tmp") != std::string::npos) return true;
    }
    return false;
  }
  fs::path dir_;
};

TEST_F(ImageIo, ReadsWhatNumpyWrites) {
  const at::Tensor f4 = read_npy(write("a.npy", from_hex(kNumpyF4)));
  EXPECT_EQ(f4.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(f4, at::arange(6, at::kFloat).view({2, 3})));
  const at::Tensor f8 = read_npy(write("b.npy", from_hex(kNumpyF8)));
  EXPECT_EQ(f8.scalar_type(), at::kDouble);
  EXPECT_TRUE(at::equal(f8, at::tensor({1.5, -2.0}, at::kDouble).view({1, 2})));
}

TEST_F(ImageIo, WritesWhatNumpyWrites) {
  write_npy(path("a.npy"), at::arange(6, at::kFloat).view({2, 3}));
  EXPECT_EQ(read(path("a.npy")), from_hex(kNumpyF4));
  write_npy(path("b.npy"), at::tensor({1.5, -2.0}, at::kDouble).view({1, 2}));
  EXPECT_EQ(read(path("b.npy")), from_hex(kNumpyF8));
}

TEST_F(ImageIo, NpyRoundTripsAnyShape) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{7}, {3, 5}, {4, 6, 3}, {}, {0, 3}}) {
    for (auto dtype : {at::kFloat, at::kDouble}) {
      const at::Tensor a = at::randn(shape, at::TensorOptions().dtype(dtype));
      write_npy(path("r.npy"), a);
      const at::Tensor b = read_npy(path("r.npy"));
      EXPECT_EQ(b.sizes(), a.sizes());
      EXPECT_TRUE(at::equal(a, b));
    }
  }
  // Non-contiguous input is written in C order.
  const at::Tensor t = at::randn({4, 5}).t();
  write_npy(path("t.npy"), t);
  EXPECT_TRUE(at::equal(read_npy(path("t.npy")), t));
  EXPECT_FALSE(leftovers());
}

TEST_F(ImageIo, NpyErrorsNameTheProblem) {
  std::string f4 = from_hex(kNumpyF4);
  expect_error([&] { read_npy(path("missing.npy")); }, "cannot open");
  expect_error([&] { read_npy(write("text.npy", "hello world, not numpy")); }, "is not a .npy file");
  std::string i4 = f4;
  i4.replace(i4.find("<f4"), 3, "<i4");
  expect_error([&] { read_npy(write("i4.npy", i4)); }, "holds dtype '<i4'; only little-endian float32");
  std::string be = f4;
  be.replace(be.find("<f4"), 3, ">f4");
  expect_error([&] { read_npy(write("be.npy", be)); }, "holds dtype '>f4'");
  std::string fortran = f4;
  fortran.replace(fortran.find("False"), 5, "True ");
  expect_error([&] { read_npy(write("fortran.npy", fortran)); }, "Fortran order");
  expect_error([&] { read_npy(write("short.npy", f4.substr(0, f4.size() - 5))); }, "is truncated: shape [2, 3] needs 24 data bytes");
  // Another shape in the same header length (the padding before '\n' absorbs the difference).
  auto with_shape = [&](const std::string& shape) {
    std::string t = f4;
    t.replace(t.find("(2, 3)"), 6, shape);
    const size_t brace = t.find('}');
    t.erase(brace + 1, shape.size() - 6);
    return t;
  };
  expect_error([&] { read_npy(write("digits.npy", with_shape("(123456789012345678901234567890,)"))); },
               "shape entry 123456789012345678901234567890 is too large");
  expect_error([&] { read_npy(write("overflow.npy", with_shape("(4294967296, 4294967296)"))); },
               "shape [4294967296, 4294967296] overflows 64-bit sizes");
  expect_error([&] { read_npy(write("declared.npy", with_shape("(100000000000,)"))); },
               "is truncated: shape [100000000000] needs 400000000000 data bytes");
  const at::Tensor empty = read_npy(write("empty.npy", with_shape("(0, 3)")));
  EXPECT_EQ(empty.sizes(), (std::vector<int64_t>{0, 3}));
  expect_error([&] { read_npy(write("header.npy", f4.substr(0, 40))); }, "truncated in its header");
  expect_error([&] { write_npy(path("int.npy"), at::ones({2}, at::kInt)); }, "only float32 and float64");
  expect_error([&] { write_npy(path("no/such/dir/x.npy"), at::ones({2})); }, "cannot write");
  EXPECT_FALSE(fs::exists(path("int.npy")));
}

TEST_F(ImageIo, PngRoundTripAndGray) {
  const at::Tensor rgb = at::rand({13, 17, 3});
  write_image_png(path("c.png"), rgb);
  const at::Tensor back = read_image(path("c.png"));
  ASSERT_EQ(back.sizes(), (std::vector<int64_t>{13, 17, 3}));
  EXPECT_LE((back - rgb).abs().max().item<double>(), 0.5 / 255 + 1e-6);  // 8-bit rounding only
  const at::Tensor gray = rgb_to_gray(back);
  EXPECT_NEAR(gray[2][3].item<double>(),
              0.299 * back[2][3][0].item<double>() + 0.587 * back[2][3][1].item<double>() + 0.114 * back[2][3][2].item<double>(), 1e-6);
  // Grey PNGs are read as three equal channels; values are clamped, NaN written as 0.
  write_image_png(path("g.png"), at::tensor({-1.0f, 0.5f, 2.0f, NAN}).view({2, 2}));
  const at::Tensor g = read_image(path("g.png"));
  EXPECT_TRUE(at::equal(g.select(2, 0), g.select(2, 2)));
  EXPECT_NEAR(g[0][0][0].item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(g[0][1][0].item<double>(), 128.0 / 255, 1e-6);
  EXPECT_NEAR(g[1][0][0].item<double>(), 1.0, 1e-9);
  EXPECT_NEAR(g[1][1][0].item<double>(), 0.0, 1e-9);
}

TEST_F(ImageIo, ImageErrorsNameTheProblem) {
  write_image_png(path("c.png"), at::rand({20, 20, 3}));
  const std::string png = read(path("c.png"));
  expect_error([&] { read_image(path("missing.png")); }, "is not a readable file");
  expect_error([&] { read_image(write("junk.png", "this is not an image at all")); }, "cannot decode");
  expect_error([&] { read_image(write("cut.png", png.substr(0, png.size() / 2))); }, "cannot decode");
  // 16-bit PGM/PPM: stb_image reads past its buffer on one cut short, so none is decoded.
  expect_error([&] { read_image(write("cut16.pgm", "P5655 5556 5555P")); }, "is a 16-bit PGM/PPM");
  expect_error([&] { read_image(write("whole16.ppm", "P6 1 1 65535\n" + std::string(6, 'a'))); }, "is a 16-bit PGM/PPM");
  EXPECT_EQ(read_image(write("byte.pgm", "P5 2 1 255\n\x10\xff")).sizes(), (std::vector<int64_t>{1, 2, 3}));
  expect_error([&] { write_image_png(path("x.png"), at::rand({2, 3, 4})); }, "expected (H, W) or (H, W, 3)");
  expect_error([&] { write_image_png(path("no/such/dir/x.png"), at::rand({2, 3})); }, "cannot write");
  EXPECT_FALSE(leftovers());
}

}  // namespace
}  // namespace oaconv::datasets
