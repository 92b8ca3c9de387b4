"""oaconv from Python: torch.nn's convolutions computed by swappable algorithms.

    import oaconv
    oaconv.convert(model)                  # every torch.nn ConvNd / ConvTransposeNd, in place
    y = oaconv.functional.conv2d(x, w, padding=3, algorithm="oaa")

Algorithms: "aten" (LibTorch's own convolution), "direct", "fft", "oaa" (FFT overlap-add),
"winograd" (F(4x4, 3x3): 2-D 3x3 layers at stride 1) and "auto" (measured per layer shape and
pass, the default). The operators are torch.ops.oaconv.*,
registered by the compiled library next to this file; their autograd is in C++.
"""
import os as _os

import torch as _torch

_torch.ops.load_library(_os.path.join(_os.path.dirname(__file__), "_oaconv_ops.so"))

from . import functional, nn  # noqa: E402
from ._convert import convert, set_algorithm  # noqa: E402
from ._algorithms import algorithms  # noqa: E402

__version__ = _torch.ops.oaconv.version()
__all__ = ["functional", "nn", "convert", "set_algorithm", "algorithms", "cache_stats", "clear_caches", "explain",
           "set_autotune", "autotune_enabled", "__version__"]

_STATS = ("plan_hits", "plan_misses", "kernel_hits", "kernel_misses", "kernel_bytes")


def cache_stats():
    """FFTW plan and kernel-spectrum cache counters, as a dict."""
    return dict(zip(_STATS, _torch.ops.oaconv.cache_stats()))


def clear_caches():
    """Drops every cached FFTW plan and kernel spectrum and zeroes the counters."""
    _torch.ops.oaconv.clear_caches()


def set_autotune(enabled):
    """Whether "auto" measures the algorithms of a new layer shape (otherwise its cost model picks)."""
    _torch.ops.oaconv.set_autotune(bool(enabled))


def autotune_enabled():
    return _torch.ops.oaconv.autotune_enabled()


def explain(input_size, weight_size, stride=1, padding=0, dilation=1, groups=1, transposed=False,
            output_padding=0, algorithm="auto", channels_last=False):
    """What `algorithm` runs for a convolution of these sizes (batched input sizes, weight sizes),
    and why: the tilings, the cost model, auto's measured or modelled choice per pass.
    channels_last=True: of calls whose input or weight is channels-last (a model moved with
    .to(memory_format=torch.channels_last)), which auto measures apart from contiguous ones."""
    from ._algorithms import check_algorithm
    from .functional import _padding_arguments, _per_axis

    rank = len(weight_size) - 2
    kind, pad = _padding_arguments(padding, rank, "oaconv.explain")
    return _torch.ops.oaconv.explain(list(input_size), list(weight_size), _per_axis(stride, rank), kind, pad,
                                     _per_axis(dilation, rank), int(groups), bool(transposed),
                                     _per_axis(output_padding, rank), check_algorithm(algorithm),
                                     bool(channels_last))
