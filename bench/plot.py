#!/usr/bin/python3
"""Figures and a summary from an oaconv_bench JSON file (Google Benchmark's --benchmark_out).

Usage: bench/plot.py RESULTS.json[.gz] OUT_PREFIX
Writes OUT_PREFIX_vs_image_size.png (time against image size, one panel per kernel size — the
seed's first graph), OUT_PREFIX_vs_kernel_size.png (time against kernel size, one panel per
image size — its second), OUT_PREFIX_heatmap.png (the best FFT algorithm's speedup over aten on
the image x kernel grid, crossover at 1x outlined), OUT_PREFIX_kinds.png (every algorithm's
speedup over aten on the 1-D, 3-D and transposed rows), and prints, for every shape, auto against
the best single algorithm and against aten (the `auto` targets), judged on the interleaved rows
(every algorithm timed in the same rounds) where the file has them. Needs python3-matplotlib."""
import gzip
import json
import re
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

NAME = re.compile(r"^(?P<family>[a-z0-9_]+)/(?P<op>[a-z_]+)/H(?P<size>\d+)_k(?P<k>\d+)_N(?P<n>\d+)_C(?P<c>\d+)to(?P<o>\d+)"
                  r"_g(?P<g>\d+)(?:_s(?P<s>\d+))?/(?P<algo>[a-z]+)")
# The layer kind of each family (the 2-D families are plain conv2d).
KINDS = {"conv1d": "conv1d", "depthwise1d": "conv1d", "conv3d": "conv3d", "transposed2d": "conv_transpose2d",
         "transposed3d": "conv_transpose3d"}
RANKS = {"conv1d": 1, "conv3d": 3, "conv_transpose2d": 2, "conv_transpose3d": 3}
COLOURS = {"aten": "black", "direct": "tab:gray", "fft": "tab:blue", "oaa": "tab:orange", "winograd": "tab:purple",
           "auto": "tab:green"}


def load(path):
    """Returns (context, times, repetitions, choices, rounds):
    times: (family, op, size, k, n, c, o, g, stride) -> {algo: ms}, the median of each algorithm row's
      repetitions (oaconv_bench repeats every row, in random order; one run counts as itself);
    choices: key -> what auto ran per pass in each repetition of its row (its label);
    rounds: key -> one dict per repetition of the interleaved row, {"ms": {algo: median ms in the
      shared rounds}, "excluded": {algo: warm ms of one left out as > 3x the fastest}, "label",
      "rounds": how many rounds that repetition ran}."""
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        data = json.load(f)
    runs = defaultdict(list)
    choices = defaultdict(list)
    rounds = defaultdict(list)
    for b in data["benchmarks"]:
        m = NAME.match(b["name"])
        if not m or b.get("run_type", "iteration") != "iteration":
            continue
        d = m.groupdict()
        key = (d["family"], d["op"], int(d["size"]), int(d["k"]), int(d["n"]), int(d["c"]), int(d["o"]), int(d["g"]),
               int(d["s"] or 1))
        if d["algo"] == "interleaved":
            ms = {c[:-3]: v for c, v in b.items() if c.endswith("_ms") and c != "cold_ms" and not c.endswith("_excluded_ms")}
            if b.get("oaa_is_fft") and "fft" in ms:  # oaa with fft's one tile: fft's code, timed once
                ms["fft=oaa"] = ms.pop("fft")
            excluded = {c[:-len("_excluded_ms")]: v for c, v in b.items() if c.endswith("_excluded_ms")}
            rounds[key].append({"ms": ms, "excluded": excluded, "label": b.get("label", ""),
                                "rounds": int(b.get("rounds", b.get("iterations", 0)))})
            continue
        unit = {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
        runs[(key, d["algo"])].append(b["real_time"] * unit)
        if d["algo"] == "auto" and b.get("label"):
            choices[key].append(b["label"])
    times = {}
    for (key, algo), ms in runs.items():
        times.setdefault(key, {})[algo] = float(np.median(ms))
    repetitions = max((len(ms) for ms in runs.values()), default=0)
    return data["context"], times, repetitions, choices, rounds


def grid(times):
    """(size, k) -> {algo: ms} for the image x kernel family, forward+backward."""
    out = {}
    for (family, op, size, k, *_), t in times.items():
        if family == "image_kernel" and op == "fwd_bwd":
            out[(size, k)] = t
    return out


def line_panels(cells, panel_values, x_values, panel_of, x_of, title, xlabel, path):
    cols = min(4, len(panel_values))
    rows = (len(panel_values) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.3 * rows), squeeze=False)
    for ax, p in zip(axes.flat, panel_values):
        for algo in ("aten", "direct", "fft", "oaa", "winograd", "auto"):
            xs, ys = [], []
            for x in x_values:
                t = cells.get((p, x) if panel_of == "size" else (x, p), {})
                if algo in t:
                    xs.append(x)
                    ys.append(t[algo])
            if xs:
                ax.plot(xs, ys, marker="o", ms=3, label=algo, color=COLOURS[algo])
        ax.set_title("%s = %d" % ("image" if panel_of == "size" else "kernel", p))
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ms per step")
        if x_of == "size":
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panel_values):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def heatmap(cells, sizes, kernels, threads, path):
    speedup = np.full((len(kernels), len(sizes)), np.nan)
    for i, k in enumerate(kernels):
        for j, s in enumerate(sizes):
            t = cells.get((s, k), {})
            spectral = [t[a] for a in ("fft", "oaa") if a in t]
            if "aten" in t and spectral:
                speedup[i, j] = t["aten"] / min(spectral)
    fig, ax = plt.subplots(figsize=(7, 5.5))
    log = np.log2(speedup)
    limit = np.nanmax(np.abs(log)) if np.isfinite(log).any() else 1
    im = ax.imshow(log, cmap="RdBu", vmin=-limit, vmax=limit, origin="lower", aspect="auto")
    for i in range(len(kernels)):
        for j in range(len(sizes)):
            if np.isfinite(speedup[i, j]):
                ax.text(j, i, "%.2g" % speedup[i, j], ha="center", va="center", fontsize=8)
    if np.isfinite(log).sum() > 3:
        ax.contour(np.nan_to_num(log, nan=0.0), levels=[0], colors="k", linewidths=2)  # crossover: 1x
    ax.set_xticks(range(len(sizes)), [str(s) for s in sizes])
    ax.set_yticks(range(len(kernels)), [str(k) for k in kernels])
    ax.set_xlabel("image size (H = W)")
    ax.set_ylabel("kernel size k")
    ax.set_title("best of fft/oaa: speedup over aten, forward+backward\n(16->16 channels, %s threads; black line: 1x crossover)" % threads)
    cbar = fig.colorbar(im, ax=ax)
    cbar.set_label("log2 speedup (blue: FFT faster)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def standing_from_rows(t):
    """auto against the others from the algorithm rows' medians (rows timed apart)."""
    singles = {a: v for a, v in t.items() if a != "auto"}
    best = min(singles, key=singles.get)
    return t["aten"], singles[best], best, t["auto"], t["auto"] / singles[best], t["auto"] / t["aten"]


def standing_from_rounds(reps, row_times):
    """The same from the interleaved row: ratios taken within each repetition's shared rounds,
    then the median over repetitions. aten left out of the rounds (> 3x the fastest) is
    compared by its warm time (and so are the others when every single one was left out); aten
    not run there (the cost model put it over 10x the best)
    by its own row's median."""
    aten, best_ms, best_names, auto, to_best, to_aten = [], [], [], [], [], []
    for r in reps:
        singles = {a: v for a, v in r["ms"].items() if a != "auto"}
        if not singles:
            # Every single algorithm over 3x auto (a transposed layer whose auto runs aten's own
            # passes of the adjoint convolution): the best of them by their warm times.
            singles = dict(r["excluded"])
        if "auto" not in r["ms"] or not singles:
            continue
        best = min(singles, key=singles.get)
        aten_ms = r["ms"].get("aten", r["excluded"].get("aten", row_times.get("aten")))
        if aten_ms is None:
            continue
        aten.append(aten_ms)
        best_ms.append(singles[best])
        best_names.append(best)
        auto.append(r["ms"]["auto"])
        to_best.append(r["ms"]["auto"] / singles[best])
        to_aten.append(r["ms"]["auto"] / aten_ms)
    if not auto:
        return None
    best = max(set(best_names), key=best_names.count)
    return (float(np.median(aten)), float(np.median(best_ms)), best, float(np.median(auto)), float(np.median(to_best)),
            float(np.median(to_aten)))


def shape_label(key):
    """e.g. "H64 k7 N8 C16->16 g1", or for another kind "conv1d L16384 k1025 N8 C16->16 g1 s2"."""
    family, op, size, k, n, c, o, g, stride = key
    kind = KINDS.get(family)
    if kind is None:
        return "H%d k%d N%d C%d->%d g%d" % (size, k, n, c, o, g)
    sizes = "L%d" % size if RANKS[kind] == 1 else "x".join([str(size)] * RANKS[kind])
    return "%s %s k%d N%d C%d->%d g%d%s" % (kind, sizes, k, n, c, o, g, " s%d" % stride if stride != 1 else "")


def kinds_figure(times, threads, path):
    """Speedup over aten of every algorithm, forward+backward, on the 1-D, 3-D and transposed
    rows: one group of bars per shape. Returns whether there was anything to draw."""
    rows = sorted((key, t) for key, t in times.items() if key[0] in KINDS and key[1] == "fwd_bwd" and "aten" in t)
    if not rows:
        return False
    algos = [a for a in ("direct", "fft", "oaa", "winograd", "auto") if any(a in t for _, t in rows)]
    fig, ax = plt.subplots(figsize=(max(7, 1.6 * len(rows)), 5.2))
    width = 0.8 / len(algos)
    for i, algo in enumerate(algos):
        xs = [j + (i - (len(algos) - 1) / 2) * width for j, (_, t) in enumerate(rows) if algo in t]
        ys = [t["aten"] / t[algo] for _, t in rows if algo in t]
        ax.bar(xs, ys, width, label=algo, color=COLOURS[algo])
    ax.axhline(1.0, color="black", lw=1)
    ax.set_yscale("log")
    # kind / sizes and kernel / batch, channels, groups, stride: one line each
    labels = [shape_label(key).replace(" ", "\n", 1).replace(" N", "\nN") for key, _ in rows]
    ax.set_xticks(range(len(rows)), labels, fontsize=7)
    ax.set_ylabel("speedup over aten (forward+backward)")
    ax.set_title("1-D, 3-D and transposed layers: speedup over aten (%s threads; above 1: faster)" % threads)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def summary(times, choices, rounds):
    """auto against the best single algorithm and aten, per shape (from the interleaved rounds
    where the file has them, else from the rows), with what auto ran per pass
    (forward/grad_input/grad_weight) in each repetition."""
    print("%-13s %-12s %-44s %9s %9s %-7s %9s %8s %8s" % ("family", "operation", "shape", "aten ms", "best ms", "best",
                                                         "auto ms", "auto/best", "auto/aten"))
    worst_best, worst_aten, rows, met = 0.0, 0.0, 0, 0
    for key in sorted(set(times) | set(rounds)):
        family, op, size, k, n, c, o, g, stride = key
        standing, source, ran = None, "rows", choices.get(key, [])
        if rounds.get(key):
            standing, source = standing_from_rounds(rounds[key], times.get(key, {})), "rounds"
            ran = [r["label"] for r in rounds[key] if r["label"]]
        elif "auto" in times.get(key, {}) and "aten" in times[key]:
            standing = standing_from_rows(times[key])
        if standing is None:
            continue
        aten, best_ms, best, auto, auto_best, auto_aten = standing
        ok = auto_best <= 1.10 and auto_aten <= 1.05
        if op == "fwd_bwd":
            worst_best, worst_aten, rows, met = max(worst_best, auto_best), max(worst_aten, auto_aten), rows + 1, met + ok
        flag = "" if ok else "  <-- misses a target"
        shape = shape_label(key)
        ran = "  [auto ran %s]" % ", ".join("%s x%d" % (c, ran.count(c)) for c in sorted(set(ran))) if ran else ""
        print("%-13s %-12s %-44s %9.3f %9.3f %-7s %9.3f %8.2f %8.2f  (%s)%s%s" % (family, op, shape, aten, best_ms, best, auto,
                                                                               auto_best, auto_aten, source, flag, ran))
    print("forward+backward: auto meets both targets on %d of %d shapes; at worst %.2fx the best single algorithm "
          "(target <= 1.10) and %.2fx aten (target <= 1.05)" % (met, rows, worst_best, worst_aten))


def main(results, prefix):
    context, times, repetitions, choices, rounds = load(results)
    threads = context.get("threads", "?")
    cells = grid(times)
    sizes = sorted({s for s, _ in cells})
    kernels = sorted({k for _, k in cells})
    if cells:
        line_panels(cells, kernels, sizes, "k", "size", "time per forward+backward step vs image size (%s threads)" % threads,
                    "image size (H = W; batch scaled to ~32k pixels)", prefix + "_vs_image_size.png")
        line_panels(cells, sizes, kernels, "size", "k", "time per forward+backward step vs kernel size (%s threads)" % threads,
                    "kernel size k", prefix + "_vs_kernel_size.png")
        heatmap(cells, sizes, kernels, threads, prefix + "_heatmap.png")
        print("wrote %s_vs_image_size.png, %s_vs_kernel_size.png, %s_heatmap.png" % (prefix, prefix, prefix))
    if kinds_figure(times, threads, prefix + "_kinds.png"):
        print("wrote %s_kinds.png" % prefix)
    counts = [r["rounds"] for reps in rounds.values() for r in reps]
    shared = " (%d repetition(s), %d-%d rounds each)" % (max(len(reps) for reps in rounds.values()), min(counts),
                                                          max(counts)) if counts else ""
    print("times are medians of %d repetition(s) per row; ratios from the interleaved rounds where present%s"
          % (repetitions, shared))
    summary(times, choices, rounds)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
