"""Swapping the convolutions of an existing model."""
from ._algorithms import check_algorithm
from .nn import CONVERSIONS, _AlgorithmMixin


def convert(model, algorithm="auto"):
    """Turns every torch.nn Conv1d/2d/3d and ConvTranspose1d/2d/3d of `model` (itself included, at
    any depth) into the oaconv module of the same kind, in place: the module objects stay (so do
    their Parameters — an optimizer made before still trains them — hooks and references), only
    their class changes. Subclasses of those torch classes are left alone (their forward may
    differ). Returns how many were converted."""
    algorithm = check_algorithm(algorithm)
    count = 0
    for module in model.modules():
        oaconv_class = CONVERSIONS.get(type(module))
        if oaconv_class is None:
            continue
        module.__class__ = oaconv_class
        module.algorithm = algorithm
        count += 1
    return count


def set_algorithm(model, algorithm):
    """Sets the algorithm of every oaconv convolution of `model`; returns how many."""
    algorithm = check_algorithm(algorithm)
    count = 0
    for module in model.modules():
        if isinstance(module, _AlgorithmMixin):
            module.algorithm = algorithm
            count += 1
    return count
