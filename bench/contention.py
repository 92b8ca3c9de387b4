#!/usr/bin/python3
"""A layer's forward+backward and its phases, quiet and beside a busy process, as users' machines run.

Usage: bench/contention.py [--shape 8,32,32,96,96,21,32] [--algorithms oaa,fft] [--threads 2]
                           [--rounds 3] [--limit 2.5] [--oaconv build/apps/oaconv]
Each round runs `oaconv info --phases` on the layer twice: on a quiet machine, and beside one
busy loop (a child process spinning for a bounded time, killed when the run ends) that takes a
core's worth of time from it. Each figure is the median over rounds of the medians `info` prints.
Prints quiet and busy milliseconds and their ratio per algorithm for the step and every phase,
and exits 1 when a phase of at least --min-ms quiet slows down more than --limit times (a phase
whose threads wait on a descheduled one pays a scheduler time slice, milliseconds, per barrier).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

PHASES = ["cold", "input fft", "kernel fft", "product", "inverse fft", "overlap-add"]


def run_info(args, busy):
    command = [args.oaconv, "info", "--threads", str(args.threads), "--shape", args.shape, "--algorithms",
               args.algorithms, "--repeats", str(args.repeats), "--phases"]
    spinner = None
    if busy:
        # Bounded: it ends by itself even if this script is killed.
        spinner = subprocess.Popen([sys.executable, "-c",
                                    "import time\nend = time.time() + %d\nwhile time.time() < end: pass" %
                                    args.busy_limit_s])
        time.sleep(0.2)
    try:
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return parse_info(out)


def parse_info(text):
    """{algorithm: {"step": ms, phase: ms, ...}} from info's timing table and phase table."""
    result = {}
    in_phases = False
    for line in text.splitlines():
        if line.startswith("per forward+backward"):
            in_phases = True
            continue
        fields = line.split()
        if not fields:
            continue
        if in_phases:
            numbers = [float(v) for v in re.findall(r"[0-9.]+", line.split(None, 1)[1])]
            if fields[0] in result and len(numbers) >= len(PHASES):
                result[fields[0]].update(dict(zip(PHASES, numbers)))
        elif len(fields) == 6 and fields[5].endswith("x") and fields[0] != "algo":
            result[fields[0]] = {"step": float(fields[4])}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", default="8,32,32,96,96,21,32",
                        help="N,Cin,Cout,H,W,K[,groups] as oaconv info takes it (default: depthwise k21)")
    parser.add_argument("--algorithms", default="oaa,fft")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=float, default=2.5, help="largest busy/quiet ratio a phase may have")
    parser.add_argument("--min-ms", type=float, default=1.0, help="phases shorter than this when quiet are not judged")
    parser.add_argument("--busy-limit-s", type=int, default=120, help="the busy loop's own time limit")
    parser.add_argument("--oaconv", default=os.path.join("build", "apps", "oaconv"))
    args = parser.parse_args()

    quiet, busy = [], []
    for r in range(args.rounds):
        quiet.append(run_info(args, busy=False))
        busy.append(run_info(args, busy=True))
        print("round %d of %d done" % (r + 1, args.rounds), file=sys.stderr)

    print("layer %s, %d threads, median of %d rounds; OMP_WAIT_POLICY=%s" %
          (args.shape, args.threads, args.rounds, os.environ.get("OMP_WAIT_POLICY", "(unset)")))
    print("%-6s %-12s %9s %9s %7s" % ("algo", "phase", "quiet ms", "busy ms", "ratio"))
    failures = []
    for algo in args.algorithms.split(","):
        for phase in ["step"] + PHASES:
            q = statistics.median(run[algo][phase] for run in quiet)
            b = statistics.median(run[algo][phase] for run in busy)
            ratio = b / q if q > 0 else float("inf")
            judged = phase not in ("step", "cold") and q >= args.min_ms
            flag = ""
            if judged and ratio > args.limit:
                flag = "  > %.1fx" % args.limit
                failures.append("%s %s" % (algo, phase))
            print("%-6s %-12s %9.2f %9.2f %6.2fx%s" % (algo, phase, q, b, ratio, flag))
    if failures:
        print("contention: slower than %.1fx beside a busy process: %s" % (args.limit, ", ".join(failures)))
        return 1
    print("contention: every phase of at least %.1f ms within %.1fx of its quiet time" % (args.min_ms, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
