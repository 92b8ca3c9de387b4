// Runs a TorchScript module saved from Python that calls torch.ops.oaconv.* operators, from C++:
//   script_module_runner OPS_LIBRARY MODULE.pt COPY.pt
// loads the operators library (its TORCH_LIBRARY registration), the module, runs forward on the
// module's `input` attribute, prints the relative error against its `expected` attribute (exit 1
// when over 1e-5), and saves the module again to COPY.pt for Python to load back
// (python/tests/test_torchscript.py).
#include <torch/script.h>

#include <dlfcn.h>

#include <cstdio>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: script_module_runner OPS_LIBRARY MODULE.pt COPY.pt\n";
    return 2;
  }
  if (dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    std::cerr << "script_module_runner: cannot load " << argv[1] << ": " << dlerror() << "\n";
    return 2;
  }
  try {
    torch::jit::Module module = torch::jit::load(argv[2]);
    const at::Tensor input = module.attr("input").toTensor();
    const at::Tensor expected = module.attr("expected").toTensor();
    const at::Tensor output = module.forward({input}).toTensor();
    const double error = ((output - expected).norm() / expected.norm()).item<double>();
    std::cout << "relative error " << error << "\n";
    module.save(argv[3]);
    return error <= 1e-5 ? 0 : 1;
  } catch (const c10::Error& e) {
    std::cerr << "script_module_runner: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "script_module_runner: " << e.what() << "\n";
    return 1;
  }
}
