#!/usr/bin/env python3
"""Writes a sweep's section of docs/benchmarks.md from scripts/bench's results.

usage: benchmarks_doc.py RESULTS.json.gz SUMMARY.txt COMMAND SECONDS DOC

The section lies between the markers `<!-- scripts/bench SWEEP: begin -->` and
`<!-- scripts/bench SWEEP: end -->` (appended to DOC when absent) and holds what a reader needs to
trust and reproduce the figures: the command, the CPU, the kernel instruction set, the commit,
the forward+backward table as bench/plot.py printed it, and the figures. The file is replaced
atomically.
"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

# A summary row: family, operation, shape, aten ms, best ms, best, auto ms, auto/best, auto/aten,
# then notes (plot.py's format).
ROW = re.compile(r"^(\S+)\s+(forward|fwd_bwd|grad_input|grad_weight)\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+(\S+)\s+"
                 r"([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*(.*)$")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def commit(root):
    def git(*args):
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True).stdout
    rev = git("rev-parse", "--short=10", "HEAD").strip()
    if not rev:
        return "unknown (not a git checkout)"
    # The sweep's own outputs (results, this document) do not count as changes to the code measured.
    dirty = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
             if not line[3:].startswith(("bench/results/", "docs/benchmarks.md"))]
    return rev + (" with uncommitted changes" if dirty else "")


def section(results, summary, command, seconds, doc_dir, root):
    with gzip.open(results, "rt") as f:
        context = json.load(f)["context"]
    sweep = context.get("sweep", "sweep")
    with open(summary) as f:
        lines = f.read().splitlines()
    rows = [m for m in (ROW.match(line) for line in lines) if m and m.group(2) == "fwd_bwd"]
    verdicts = [line for line in lines if line.startswith("forward+backward:")]
    caches = ", ".join(f"L{c['level']} {c['type'].lower()} {c['size'] // 1024} KiB" for c in context.get("caches", []))
    out = [f"<!-- scripts/bench {sweep}: begin (written by scripts/bench; edits are overwritten) -->",
           f"#### `{command}` (latest run)", "",
           f"- run: {context.get('date', '?')}, {seconds} s; commit {commit(root)}",
           f"- CPU: {cpu_model()}, {context.get('num_cpus', '?')} cores ({caches}); "
           f"{context.get('threads', '?')} threads",
           f"- SIMD kernels: {context.get('simd_kernels', 'not recorded')}",
           f"- results: `{os.path.relpath(results, root)}` (Google Benchmark JSON), "
           f"`{os.path.relpath(summary, root)}` (every operation, with what auto ran per pass)", "",
           "Forward+backward, ms (medians; the ratios from the interleaved rounds where present):", "",
           "| family | shape | aten | best | best algorithm | auto | auto/best | auto/aten |",
           "|---|---|---:|---:|---|---:|---:|---:|"]
    for m in rows:
        out.append("| " + " | ".join([m.group(1), m.group(3).strip(), m.group(4), m.group(5), m.group(6), m.group(7),
                                      m.group(8) + "×", m.group(9) + "×"]) + " |")
    if not rows:
        out.append("| (no forward+backward rows in the summary) | | | | | | | |")
    out.append("")
    out.extend(verdicts)
    figures = sorted(name for name in os.listdir(os.path.dirname(summary))
                     if name.startswith(sweep + "_") and name.endswith(".png"))
    if figures:
        out.append("")
        rel = os.path.relpath(os.path.dirname(summary), doc_dir)
        out.extend(f"![{name[len(sweep) + 1:-4].replace('_', ' ')}]({rel}/{name})" for name in figures)
    out.append(f"<!-- scripts/bench {sweep}: end -->")
    return sweep, "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.strip().splitlines()[2])
    results, summary, command, seconds, doc = sys.argv[1:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sweep, text = section(results, summary, command, seconds, os.path.dirname(os.path.abspath(doc)), root)
    with open(doc) as f:
        current = f.read()
    begin = re.compile(rf"<!-- scripts/bench {re.escape(sweep)}: begin[^\n]*-->\n")
    end = f"<!-- scripts/bench {sweep}: end -->\n"
    m = begin.search(current)
    if m and end in current[m.end():]:
        stop = current.index(end, m.end()) + len(end)
        updated = current[:m.start()] + text + current[stop:]
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(doc)), prefix=".benchmarks.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(updated)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, doc)
    print(f"wrote the {sweep} section of {doc}")


if __name__ == "__main__":
    main()
