#!/usr/bin/python3
"""Training throughput of one process with T threads against P data-parallel processes sharing them.

Usage: bench/data_parallel.py [--layouts 1x2,2x1] [--preset large] [--algorithm auto]
                              [--train-count 1024] [--epochs 3] [--rounds 2] [--json OUT]
                              [--oaconv build/apps/oaconv]
A layout PxT runs `oaconv train --nproc P --threads T` (1x2: one process, two threads) on the same
data, global batch and options. Rounds interleave the layouts. Each run's first epoch is left out
(it includes auto's measuring and the ranks' first rendering); from the others it takes images per
second (samples / seconds, the trainer's epoch time) and rank 0's seconds per step blocked in
collectives (gradient buckets still being reduced when backward ended, batch-norm statistics, the
per-step stop vote). Prints the medians over rounds, and the ratio of each layout's rate to the
first's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run(args, processes, threads, directory):
    out = os.path.join(directory, "run.json")
    command = [args.oaconv, "train", "--preset", args.preset, "--algorithm", args.algorithm, "--epochs",
               str(args.epochs), "--train-count", str(args.train_count), "--val-count", "64", "--batch-size",
               str(args.batch_size), "--seed", "3", "--threads", str(threads), "--json", out]
    if processes > 1:
        command += ["--nproc", str(processes)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        epochs = json.load(f)["epochs"][1:]
    images = sum(e["steps"] * args.batch_size for e in epochs)
    seconds = sum(e["seconds"] for e in epochs)
    steps = sum(e["steps"] for e in epochs)
    return images / seconds, sum(e["communication_seconds"] for e in epochs) / steps, seconds / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layouts", default="1x2,2x1", help="comma list of PROCESSESxTHREADS")
    parser.add_argument("--preset", default="large")
    parser.add_argument("--algorithm", default="auto")
    parser.add_argument("--train-count", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", help="write the medians as JSON")
    parser.add_argument("--oaconv", default=os.path.join(os.path.dirname(__file__), "..", "build", "apps", "oaconv"))
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first is left out)")
    layouts = [tuple(int(v) for v in text.split("x")) for text in args.layouts.split(",")]
    results = {layout: [] for layout in layouts}
    with tempfile.TemporaryDirectory() as directory:
        for round_index in range(args.rounds):
            for layout in layouts:
                results[layout].append(run(args, *layout, directory))
                rate, blocked, step = results[layout][-1]
                print(f"round {round_index + 1}: {layout[0]} process(es) x {layout[1]} thread(s): {rate:.1f} img/s, "
                      f"step {1000 * step:.0f} ms, blocked in collectives {1000 * blocked:.1f} ms/step", flush=True)
    print(f"\n{args.preset} preset, {args.algorithm}, global batch {args.batch_size}, {args.train_count} samples "
          f"per epoch, epochs 2..{args.epochs}, median of {args.rounds} interleaved rounds:")
    print(f"{'processes x threads':>20} {'img/s':>8} {'vs first':>9} {'step ms':>8} {'collectives ms/step':>20}")
    summary = []
    first = None
    for layout in layouts:
        rate = statistics.median(r[0] for r in results[layout])
        blocked = statistics.median(r[1] for r in results[layout])
        step = statistics.median(r[2] for r in results[layout])
        first = first or rate
        print(f"{layout[0]:>10} x {layout[1]:<7} {rate:8.1f} {rate / first:8.2f}x {1000 * step:8.0f} {1000 * blocked:20.1f}")
        summary.append({"processes": layout[0], "threads": layout[1], "images_per_second": rate,
                        "step_seconds": step, "collective_seconds_per_step": blocked})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"preset": args.preset, "algorithm": args.algorithm, "results": summary}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
