"""torch.nn.functional's convolutions with an `algorithm` argument (default "auto").

Same signatures, defaults and results as torch.nn.functional.conv1d ... conv_transpose3d
(padding as an int, a tuple, "same" or "valid"; unbatched inputs; groups, dilation,
output_padding); the gradients of input, weight and bias come from oaconv's C++ autograd.
"""
import torch as _torch

from ._algorithms import check_algorithm

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def _per_axis(value, rank):
    """An int or a sequence of `rank` ints, as a list of `rank` ints."""
    if isinstance(value, int):
        return [value] * rank
    values = [int(v) for v in value]
    if len(values) == 1:
        return values * rank
    return values


def _padding_arguments(padding, rank, op):
    """(padding_kind, per-axis padding) of torch's padding argument."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError("%s: invalid padding string %r, should be one of {'valid', 'same'}" % (op, padding))
        return padding, [0] * rank
    return "explicit", _per_axis(padding, rank)


def _conv(rank, input, weight, bias, stride, padding, dilation, groups, algorithm):
    kind, pad = _padding_arguments(padding, rank, "oaconv.functional.conv%dd" % rank)
    return _torch.ops.oaconv.conv(input, weight, bias, _per_axis(stride, rank), kind, pad, _per_axis(dilation, rank),
                                  int(groups), check_algorithm(algorithm))


def _conv_transpose(rank, input, weight, bias, stride, padding, output_padding, groups, dilation, algorithm):
    return _torch.ops.oaconv.conv_transpose(input, weight, bias, _per_axis(stride, rank), _per_axis(padding, rank),
                                            _per_axis(output_padding, rank), int(groups), _per_axis(dilation, rank),
                                            check_algorithm(algorithm))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, algorithm="auto"):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups, algorithm)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, algorithm="auto"):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups, algorithm)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, algorithm="auto"):
    return _conv(3, input, weight, bias, stride, padding, dilation, groups, algorithm)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     algorithm="auto"):
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation, algorithm)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     algorithm="auto"):
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation, algorithm)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     algorithm="auto"):
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation, algorithm)
