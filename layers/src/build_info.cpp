#include <oaconv/build_info.h>
#include <oaconv/version.h>

#include "isa/instruction_set.h"

#include <ATen/Parallel.h>
#include <fftw3.h>
#include <torch/version.h>

#include <fstream>
#include <set>
#include <sstream>

namespace oaconv {
namespace {

// The BLAS libraries mapped into this process: LibTorch uses the system libblas.so.3, which
// is OpenBLAS only when libopenblas is installed (else the slow reference BLAS).
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.rfind('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(line.find('/'));
    if (path.find("blas") != std::string::npos || path.find("mkl") != std::string::npos) libs.insert(path);
  }
  if (libs.empty()) return "(none mapped)";
  std::string out;
  for (const auto& lib : libs) out += (out.empty() ? "" : ", ") + lib;
  return out;
}

}  // namespace

std::string build_info() {
  std::ostringstream s;
  s << "oaconv: " << OACONV_VERSION << "\n"
    << "libtorch: " << TORCH_VERSION << "\n"
    << "intra-op threads: " << at::get_num_threads() << "\n"
    << "blas: " << loaded_blas() << "\n"
    << "fftw: " << fftw_version << "\n"
    << "simd kernels: " << isa::describe() << "\n";
  return s.str();
}

}  // namespace oaconv
