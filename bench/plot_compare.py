#!/usr/bin/env python3
"""Plot an `oaconv compare --json` report: seconds per epoch and validation accuracy per epoch,
one line per algorithm. Usage: plot_compare.py REPORT.json OUT.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator


def main(report_path, out_path):
    with open(report_path) as f:
        report = json.load(f)
    fig, (ax_time, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run in report["runs"]:
        epochs = [e["epoch"] for e in run["epochs"]]
        ax_time.plot(epochs, [e["seconds"] for e in run["epochs"]], marker="o", label=run["algorithm"])
        ax_acc.plot(epochs, [100 * e["val_accuracy"] for e in run["epochs"]], marker="o", label=run["algorithm"])
    ax_time.set_xlabel("epoch")
    ax_time.set_ylabel("seconds per epoch")
    ax_time.set_ylim(bottom=0)
    ax_time.set_title("training time per epoch")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy (%)")
    ax_acc.set_title("validation accuracy")
    for ax in (ax_time, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"oaconv compare: preset {report['preset']}, {report.get('model', '')}, {report['threads']} threads")
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
