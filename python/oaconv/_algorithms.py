"""The algorithm names and their check (ValueError for a name oaconv does not know)."""
import torch as _torch

_NAMES = None  # the library's names, read once: they cannot change while it is loaded


def algorithms():
    """Every algorithm name: aten, direct, fft, oaa, winograd, auto."""
    global _NAMES
    if _NAMES is None:
        _NAMES = tuple(_torch.ops.oaconv.algorithms())
    return list(_NAMES)


def check_algorithm(name):
    """`name` lower-cased, or ValueError listing the valid ones."""
    names = _NAMES if _NAMES is not None else tuple(algorithms())
    if not isinstance(name, str) or name.lower() not in names:
        raise ValueError("oaconv: unknown algorithm %r; expected one of %s" % (name, ", ".join(names)))
    return name.lower()
