#!/usr/bin/python3
"""`oaconv filter` against SciPy on the seed's workload, measured in one run on one machine.

A 1024x1024 grey test image (smooth structure + edges + noise, fixed seed) is filtered with
gaussian:17:3 by every oaconv algorithm at 1 and 2 threads (warm median of --repeat runs), and
by scipy.signal.fftconvolve(img, k, mode='same') in float64 and float32 (SciPy uses one thread);
box:31 is compared with scipy.ndimage.uniform_filter. Each oaconv result is also checked against
SciPy's (relative error printed). Usage:
    bench/filter_vs_scipy.py [--oaconv build/apps/oaconv] [--size 1024] [--repeat 21] [--out JSON]
Needs Debian's python3-scipy, python3-numpy, python3-matplotlib (for the PNG)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import scipy
import scipy.ndimage as ndimage
import scipy.signal as signal


def test_image(size):
    rng = np.random.default_rng(2024)
    y, x = np.mgrid[0:size, 0:size] / size
    img = 0.5 + 0.25 * np.sin(9 * x + 4 * y) * np.cos(7 * y)
    img[(x - 0.5) ** 2 + (y - 0.45) ** 2 < 0.04] = 0.9  # a disc with sharp edges
    img[int(0.7 * size):int(0.8 * size), int(0.1 * size):int(0.6 * size)] = 0.1  # a bar
    img += 0.05 * rng.standard_normal((size, size))
    return np.clip(img, 0, 1)


def median_ms(f, repeat):
    f()  # warm up (SciPy plans nothing, but page faults and caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(1e3 * (time.perf_counter() - start))
    return float(np.median(times))


def run_oaconv(oaconv, png, kernel, algorithm, threads, repeat, work):
    stem = os.path.join(work, "%s_%s_%d" % (kernel.replace(":", "_"), algorithm, threads))
    subprocess.run([oaconv, "filter", "--input", png, "--output", stem + ".png", "--output-npy", stem + ".npy",
                    "--kernel", kernel, "--gray", "--algorithm", algorithm, "--threads", str(threads),
                    "--repeat", str(repeat), "--json", stem + ".json"], check=True, stdout=subprocess.DEVNULL)
    with open(stem + ".json") as f:
        report = json.load(f)
    # --repeat applies the filter repeatedly; check one application's result, from a separate run.
    subprocess.run([oaconv, "filter", "--input", png, "--output", stem + "_1.png", "--output-npy", stem + "_1.npy",
                    "--kernel", kernel, "--gray", "--algorithm", algorithm, "--threads", str(threads)],
                   check=True, stdout=subprocess.DEVNULL)
    return report, np.load(stem + "_1.npy").astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oaconv", default=os.path.join(os.path.dirname(__file__), "..", "build", "apps", "oaconv"))
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "filter_vs_scipy.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        png = os.path.join(work, "input.png")
        mpimg.imsave(png, test_image(args.size), cmap="gray", vmin=0, vmax=1)
        rgb = mpimg.imread(png)[..., :3].astype(np.float64)  # what oaconv reads, 8-bit quantised
        gray = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
        gray32 = gray.astype(np.float32)

        taps = np.exp(-((np.arange(17) - 8.0) ** 2) / (2 * 3.0 ** 2))
        gauss = np.outer(taps, taps)
        gauss /= gauss.sum()
        gauss32 = gauss.astype(np.float32)
        scipy_ms = {
            "fftconvolve_f64": median_ms(lambda: signal.fftconvolve(gray, gauss, mode="same"), args.repeat),
            "fftconvolve_f32": median_ms(lambda: signal.fftconvolve(gray32, gauss32, mode="same"), args.repeat),
            "uniform_filter_f64": median_ms(lambda: ndimage.uniform_filter(gray, 31, mode="constant"), args.repeat),
            "uniform_filter_f32": median_ms(lambda: ndimage.uniform_filter(gray32, 31, mode="constant"), args.repeat),
        }
        want = {"gaussian:17:3": signal.fftconvolve(gray, gauss, mode="same"),
                "box:31": ndimage.uniform_filter(gray, 31, mode="constant")}
        baseline = {"gaussian:17:3": min(scipy_ms["fftconvolve_f64"], scipy_ms["fftconvolve_f32"]),
                    "box:31": min(scipy_ms["uniform_filter_f64"], scipy_ms["uniform_filter_f32"])}

        rows = []
        for kernel, algorithms in (("gaussian:17:3", ["auto", "separable", "oaa", "fft", "direct", "aten"]),
                                   ("box:31", ["auto", "box", "separable", "oaa", "fft"])):
            for threads in (1, 2):
                for algorithm in algorithms:
                    report, result = run_oaconv(args.oaconv, png, kernel, algorithm, threads, args.repeat, work)
                    error = float(np.linalg.norm(result - want[kernel]) / np.linalg.norm(want[kernel]))
                    rows.append({"kernel": kernel, "threads": threads, "requested": algorithm,
                                 "algorithm": report["algorithm"], "cold_ms": report["cold_ms"],
                                 "warm_ms_median": report["warm_ms_median"],
                                 "speedup_vs_scipy": baseline[kernel] / report["warm_ms_median"],
                                 "relative_error_vs_scipy": error})

    print("%dx%d grey image; SciPy %s (1 thread), medians of %d runs" % (args.size, args.size, scipy.__version__, args.repeat))
    for name, ms in scipy_ms.items():
        print("  scipy %-20s %8.2f ms" % (name, ms))
    print("%-14s %7s %-10s %-10s %9s %9s %10s %10s" % ("kernel", "threads", "requested", "ran", "cold ms", "warm ms",
                                                      "vs scipy", "rel.err"))
    for r in rows:
        print("%-14s %7d %-10s %-10s %9.2f %9.3f %9.1fx %10.1e" % (r["kernel"], r["threads"], r["requested"], r["algorithm"],
                                                               r["cold_ms"], r["warm_ms_median"], r["speedup_vs_scipy"],
                                                               r["relative_error_vs_scipy"]))
    print("speedups are over the faster of SciPy's float32 and float64 runs of the same operation")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"size": args.size, "repeat": args.repeat, "scipy_version": scipy.__version__, "scipy_ms": scipy_ms,
                   "oaconv": rows}, f, indent=2)
    print("wrote", args.out)
    bad = [r for r in rows if r["relative_error_vs_scipy"] > 1e-5]
    if bad:
        print("ERROR: results differ from SciPy's:", bad, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
