"""The algorithm names and their check (ValueError for a name oaconv does not know)."""
import torch as _torch


def algorithms():
    """Every algorithm name: aten, direct, fft, oaa, winograd, auto."""
    return list(_torch.ops.oaconv.algorithms())


def check_algorithm(name):
    """`name` lower-cased, or ValueError listing the valid ones."""
    if not isinstance(name, str) or name.lower() not in algorithms():
        raise ValueError("oaconv: unknown algorithm %r; expected one of %s" % (name, ", ".join(algorithms())))
    return name.lower()
