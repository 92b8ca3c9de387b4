// Builds a small model from oaconv layers, swaps its algorithm, checks it against aten.
#include <oaconv/oaconv.h>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/activation.h>

#include <iostream>

int main() {
  torch::nn::Sequential model(oaconv::Conv2d(oaconv::Conv2dOptions(3, 8, 5).padding(2)),
                              torch::nn::ReLU(),
                              oaconv::Conv2d(oaconv::Conv2dOptions(8, 4, 3).padding(1)));
  const at::Tensor x = at::randn({2, 3, 16, 16});
  oaconv::set_algorithm(*model, oaconv::Algorithm::kAten);
  const at::Tensor reference = model->forward(x);
  const int switched = oaconv::set_algorithm(*model, oaconv::Algorithm::kDirect);
  const at::Tensor y = model->forward(x);
  const double err = (y - reference).norm().item<double>() / reference.norm().item<double>();
  std::cout << "oaconv " << OACONV_VERSION << ": switched " << switched << " layers to "
            << oaconv::to_string(oaconv::Algorithm::kDirect) << ", relative error " << err << "\n";
  return switched == 2 && err < 1e-5 ? 0 : 1;
}
