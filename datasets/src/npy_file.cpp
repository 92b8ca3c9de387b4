// .npy reading and writing. The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (480, 640), }
// padded with spaces and a newline so that the data starts on a 64-byte boundary.
#include <oaconv/datasets/npy.h>

#include <oaconv/atomic_file.h>

#include <ATen/ATen.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace oaconv::datasets {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

// The text after `'key':` in the header dict, with leading spaces skipped.
size_t value_of(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "'");
  TORCH_CHECK(at != std::string::npos, "read_npy: '", path, "': header has no '", key, "' entry: ", header);
  size_t p = header.find(':', at);
  TORCH_CHECK(p != std::string::npos, "read_npy: '", path, "': malformed header: ", header);
  ++p;
  while (p < header.size() && std::isspace(static_cast<unsigned char>(header[p]))) ++p;
  return p;
}

std::vector<int64_t> parse_shape(const std::string& header, const std::string& path) {
  size_t p = value_of(header, "shape", path);
  TORCH_CHECK(p < header.size() && header[p] == '(', "read_npy: '", path, "': shape is not a tuple: ", header);
  const size_t close = header.find(')', p);
  TORCH_CHECK(close != std::string::npos, "read_npy: '", path, "': unterminated shape tuple: ", header);
  std::vector<int64_t> shape;
  std::string number;
  for (size_t i = p + 1; i <= close; ++i) {
    const char c = header[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      number += c;
    } else if (c == ',' || c == ')') {
      if (!number.empty()) {
        // 18 digits always fit in int64; more are refused (no .npy array is that large).
        TORCH_CHECK(number.size() <= 18, "read_npy: '", path, "': shape entry ", number.substr(0, 30),
                    (number.size() > 30 ? "..." : ""), " is too large");
        shape.push_back(std::stoll(number));
      }
      number.clear();
    } else {
      TORCH_CHECK(std::isspace(static_cast<unsigned char>(c)) || c == 'L', "read_npy: '", path,
                  "': shape has a non-integer entry: ", header);
    }
  }
  return shape;
}

}  // namespace

at::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in.good(), "read_npy: cannot open '", path, "'");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TORCH_CHECK(bytes.size() >= kMagicBytes + 4 && std::memcmp(bytes.data(), kMagic, kMagicBytes) == 0,
              "read_npy: '", path, "' is not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  TORCH_CHECK(major >= 1 && major <= 3, "read_npy: '", path, "': unsupported .npy version ", major);
  const size_t length_bytes = major == 1 ? 2 : 4;
  TORCH_CHECK(bytes.size() >= 8 + length_bytes, "read_npy: '", path, "' is truncated in its header");
  size_t header_length = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_length |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t data_start = 8 + length_bytes + header_length;
  TORCH_CHECK(bytes.size() >= data_start, "read_npy: '", path, "' is truncated in its header");
  const std::string header(bytes.data() + 8 + length_bytes, header_length);

  const size_t d = value_of(header, "descr", path);
  TORCH_CHECK(d < header.size() && (header[d] == '\'' || header[d] == '"'), "read_npy: '", path,
              "': descr is not a string: ", header);
  const std::string descr = header.substr(d + 1, header.find(header[d], d + 1) - d - 1);
  at::ScalarType dtype;
  if (descr == "<f4") {
    dtype = at::kFloat;
  } else if (descr == "<f8") {
    dtype = at::kDouble;
  } else {
    TORCH_CHECK(false, "read_npy: '", path, "' holds dtype '", descr,
                "'; only little-endian float32 ('<f4') and float64 ('<f8') are supported");
  }
  const size_t f = value_of(header, "fortran_order", path);
  TORCH_CHECK(header.compare(f, 5, "False") == 0, "read_npy: '", path,
              "' is in Fortran order; save it in C order (numpy.ascontiguousarray)");
  const std::vector<int64_t> shape = parse_shape(header, path);
  // The element count and byte size, checked against overflow: a declared shape is only
  // believed as far as the file's own size backs it.
  const size_t element = dtype == at::kFloat ? 4 : 8;
  uint64_t needed = element;
  for (int64_t s : shape) {
    TORCH_CHECK(!__builtin_mul_overflow(needed, static_cast<uint64_t>(s), &needed), "read_npy: '", path,
                "': shape ", at::IntArrayRef(shape), " overflows 64-bit sizes");
  }
  TORCH_CHECK(bytes.size() - data_start >= needed, "read_npy: '", path, "' is truncated: shape ", at::IntArrayRef(shape),
              " needs ", needed, " data bytes, the file has ", bytes.size() - data_start);
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (needed > 0) std::memcpy(out.data_ptr(), bytes.data() + data_start, needed);
  return out;
}

void write_npy(const std::string& path, const at::Tensor& array) {
  TORCH_CHECK(array.scalar_type() == at::kFloat || array.scalar_type() == at::kDouble,
              "write_npy: only float32 and float64 tensors can be written, got ", array.scalar_type());
  const at::Tensor data = array.contiguous();
  std::string shape = "(";
  for (int64_t s : data.sizes()) shape += std::to_string(s) + ", ";
  if (data.dim() > 1) shape.resize(shape.size() - 2);
  if (data.dim() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + (data.scalar_type() == at::kFloat ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // magic(6) + version(2) + length(2) + header + '\n' is a multiple of 64.
  const size_t unpadded = kMagicBytes + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::vector<unsigned char> bytes(kMagic, kMagic + kMagicBytes);
  bytes.push_back(1);
  bytes.push_back(0);
  bytes.push_back(static_cast<unsigned char>(header.size() & 0xff));
  bytes.push_back(static_cast<unsigned char>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* raw = static_cast<const unsigned char*>(data.data_ptr());
  bytes.insert(bytes.end(), raw, raw + data.numel() * data.element_size());
  write_file_atomically("write_npy", path, bytes);
}

}  // namespace oaconv::datasets
