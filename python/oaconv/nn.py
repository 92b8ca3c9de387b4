"""torch.nn's convolution modules computed by oaconv: subclasses of torch.nn.Conv1d ...
ConvTranspose3d with the same parameters, defaults, initialisation, padding modes and
state_dict, plus an `algorithm` attribute (default "auto", shown in repr)."""
import torch as _torch
import torch.nn.functional as _F

from . import functional as _functional
from ._algorithms import check_algorithm

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


class _AlgorithmMixin:
    """The `algorithm` attribute: checked when set, shown by repr."""

    @property
    def algorithm(self):
        return self.__dict__.get("_oaconv_algorithm", "auto")

    @algorithm.setter
    def algorithm(self, name):
        self.__dict__["_oaconv_algorithm"] = check_algorithm(name)

    def extra_repr(self):
        return super().extra_repr() + ", algorithm=" + self.algorithm


def _conv_module(torch_class, rank, function):
    class Module(_AlgorithmMixin, torch_class):
        def __init__(self, *args, algorithm="auto", **kwargs):
            super().__init__(*args, **kwargs)
            self.algorithm = algorithm

        # torch.nn.ConvNd.forward calls this with the module's weight and bias.
        def _conv_forward(self, input, weight, bias):
            if self.padding_mode != "zeros":
                padded = _F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
                return function(padded, weight, bias, self.stride, 0, self.dilation, self.groups,
                                algorithm=self.algorithm)
            return function(input, weight, bias, self.stride, self.padding, self.dilation, self.groups,
                            algorithm=self.algorithm)

    Module.__name__ = Module.__qualname__ = torch_class.__name__
    Module.__doc__ = "%s computed by oaconv (torch.nn.%s's arguments, plus algorithm=)." % (
        torch_class.__name__, torch_class.__name__)
    return Module


def _conv_transpose_module(torch_class, rank, function):
    class Module(_AlgorithmMixin, torch_class):
        def __init__(self, *args, algorithm="auto", **kwargs):
            super().__init__(*args, **kwargs)
            self.algorithm = algorithm

        def forward(self, input, output_size=None):
            if self.padding_mode != "zeros":
                raise ValueError("Only `zeros` padding mode is supported for %s" % type(self).__name__)
            # torch's rule for the output size (output_padding chosen to reach output_size).
            output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                                  rank, self.dilation)
            return function(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                            self.dilation, algorithm=self.algorithm)

    Module.__name__ = Module.__qualname__ = torch_class.__name__
    Module.__doc__ = "%s computed by oaconv (torch.nn.%s's arguments, plus algorithm=)." % (
        torch_class.__name__, torch_class.__name__)
    return Module


Conv1d = _conv_module(_torch.nn.Conv1d, 1, _functional.conv1d)
Conv2d = _conv_module(_torch.nn.Conv2d, 2, _functional.conv2d)
Conv3d = _conv_module(_torch.nn.Conv3d, 3, _functional.conv3d)
ConvTranspose1d = _conv_transpose_module(_torch.nn.ConvTranspose1d, 1, _functional.conv_transpose1d)
ConvTranspose2d = _conv_transpose_module(_torch.nn.ConvTranspose2d, 2, _functional.conv_transpose2d)
ConvTranspose3d = _conv_transpose_module(_torch.nn.ConvTranspose3d, 3, _functional.conv_transpose3d)

# torch.nn class -> oaconv class (convert() swaps exactly these types).
CONVERSIONS = {
    _torch.nn.Conv1d: Conv1d,
    _torch.nn.Conv2d: Conv2d,
    _torch.nn.Conv3d: Conv3d,
    _torch.nn.ConvTranspose1d: ConvTranspose1d,
    _torch.nn.ConvTranspose2d: ConvTranspose2d,
    _torch.nn.ConvTranspose3d: ConvTranspose3d,
}
