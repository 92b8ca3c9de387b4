"""TorchScript round trip: a scripted module calling torch.ops.oaconv.* is saved in Python, run
from C++ (tests/script_module_runner.cpp, which only loads the operators library), saved again
there and run back in Python, with the same output."""
import os
import subprocess

import pytest
import torch

import oaconv


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(4, 3, 5, 5, generator=gen))
        self.b = torch.nn.Parameter(torch.randn(4, generator=gen))
        self.up = torch.nn.Parameter(torch.randn(4, 2, 4, 4, generator=gen))
        self.line = torch.nn.Parameter(torch.randn(3, 2, 9, generator=gen))

    def forward(self, x):
        y = torch.ops.oaconv.conv(x, self.w, self.b, [1], "explicit", [2], [1], 1, "fft")
        y = torch.ops.oaconv.conv_transpose(y, self.up, None, [2], [1], [0], 1, [1], "oaa")
        # the rows of the image as a 1-D signal, "same" padding
        flat = y.flatten(2)
        return torch.ops.oaconv.conv(flat, self.line, None, [1], "same", [0], [1], 1, "auto")


def reference(net, x):
    y = torch.nn.functional.conv2d(x, net.w, net.b, padding=2)
    y = torch.nn.functional.conv_transpose2d(y, net.up, None, stride=2, padding=1)
    return torch.nn.functional.conv1d(y.flatten(2), net.line, None, padding="same")


def test_a_scripted_module_runs_from_cpp_and_back(tmp_path):
    runner = os.environ.get("OACONV_SCRIPT_RUNNER")
    if not runner:
        pytest.skip("OACONV_SCRIPT_RUNNER (set by ctest) names the C++ runner")
    net = Net()
    x = torch.randn(2, 3, 12, 10, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference(net, x)
    net.register_buffer("input", x)  # what the C++ side runs and compares with
    net.register_buffer("expected", expected)
    scripted = torch.jit.script(net)
    assert ((scripted(x) - expected).norm() / expected.norm()).item() <= 1e-5
    module_path, copy_path = tmp_path / "net.pt", tmp_path / "copy.pt"
    scripted.save(str(module_path))
    ops = os.path.join(os.path.dirname(oaconv.__file__), "_oaconv_ops.so")
    run = subprocess.run([runner, ops, str(module_path), str(copy_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("relative error ")
    back = torch.jit.load(str(copy_path))
    assert ((back(x) - expected).norm() / expected.norm()).item() <= 1e-5
