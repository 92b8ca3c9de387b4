#!/usr/bin/python3
"""What calling oaconv from Python costs over calling it from C++, on single conv2d layers.

Usage: PYTHONPATH=build/python bench/python_overhead.py [--threads 2] [--rounds 7] [--steps 30]
           [--timer build/bench/layer_step_timer]
One step is the layer's forward (oaconv.functional.conv2d with padding k/2, as `oaconv info`
runs it) and backward into input, weight and bias. Each round times --steps steps from C++ (the
layer_step_timer program, same shape, algorithm, data sizes and threads) and then the same steps
in this Python process, each after 5 untimed steps; each side keeps the median of its rounds'
medians. Both processes keep freed memory for reuse (glibc's mmap and trim thresholds raised as
oaconv::keep_freed_memory does), so neither pays fresh page faults that the other does not.
Prints both, the difference per step in microseconds and as a percentage of the C++ step.
"""
import argparse
import ctypes
import statistics
import subprocess
import sys
import time

import torch

import oaconv

# (shape N,C,O,H,W,K[,groups], algorithm): a small layer where a fixed per-call cost shows, a
# mid-size spectral one and a ResNet-size 3x3 one.
LAYERS = [
    ("1,16,16,16,16,3", "direct"),
    ("8,16,16,32,32,7", "oaa"),
    ("8,32,32,56,56,5,32", "direct"),
    ("8,64,64,56,56,3", "aten"),
]


WARMUP_STEPS = 5


def keep_freed_memory():
    """glibc's mallopt as oaconv::keep_freed_memory calls it (mmap threshold 512 MiB, trim 1 GiB)."""
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 512 << 20)
    libc.mallopt(m_trim_threshold, 1 << 30)


def python_step_us(shape, algorithm, steps):
    n, c, o, h, w, k = shape[:6]
    groups = shape[6] if len(shape) > 6 else 1
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w, requires_grad=True)
    weight = torch.randn(o, c // groups, k, k, requires_grad=True)
    bias = torch.randn(o, requires_grad=True)
    gy = torch.randn(n, o, h, w)
    times = []
    for i in range(steps + WARMUP_STEPS):
        start = time.perf_counter()
        oaconv.functional.conv2d(x, weight, bias, padding=k // 2, groups=groups, algorithm=algorithm).backward(gy)
        if i >= WARMUP_STEPS:
            times.append(1e6 * (time.perf_counter() - start))
    return statistics.median(times)


def cpp_step_us(timer, shape_text, algorithm, steps, threads):
    out = subprocess.run([timer, shape_text, algorithm, str(steps), str(threads)], check=True, capture_output=True,
                         text=True).stdout
    return float(out.split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--timer", default="build/bench/layer_step_timer")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep_freed_memory()
    print("oaconv %s, torch %s, %d threads, median of %d interleaved rounds of %d steps" %
          (oaconv.__version__, torch.__version__, args.threads, args.rounds, args.steps))
    print("%-22s %-7s %12s %12s %10s %9s" % ("layer", "algo", "C++ us", "Python us", "diff us", "overhead"))
    for shape_text, algorithm in LAYERS:
        shape = [int(v) for v in shape_text.split(",")]
        cpp, py = [], []
        for _ in range(args.rounds):
            cpp.append(cpp_step_us(args.timer, shape_text, algorithm, args.steps, args.threads))
            py.append(python_step_us(shape, algorithm, args.steps))
        c, p = statistics.median(cpp), statistics.median(py)
        print("%-22s %-7s %12.1f %12.1f %10.1f %8.1f%%" % (shape_text, algorithm, c, p, p - c, 100.0 * (p - c) / c),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
