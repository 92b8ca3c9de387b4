#pragma once
// What this oaconv was built against and runs with, for `oaconv info` and bug reports.
#include <string>

namespace oaconv {

// Lines "key: value": oaconv and LibTorch versions, intra-op threads, the BLAS library
// actually loaded, the FFTW version.
std::string build_info();

}  // namespace oaconv
