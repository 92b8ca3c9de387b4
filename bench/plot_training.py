#!/usr/bin/env python3
"""Plot an `oaconv train` report (the JSON of --json).

usage: plot_training.py REPORT.json OUT.png curves|confusion
  curves     loss and accuracy per epoch: training, validation, and the hard split's final score
  confusion  the last epoch's validation confusion matrix, rows true class, columns predicted,
             each row as a share of its class
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator


def curves(report, out_path):
    epochs = [e["epoch"] for e in report["epochs"]]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax_loss.plot(epochs, [e["train_loss"] for e in report["epochs"]], marker="o", label="training")
    ax_loss.plot(epochs, [e["val_loss"] for e in report["epochs"]], marker="o", label="validation")
    ax_acc.plot(epochs, [100 * e["train_accuracy"] for e in report["epochs"]], marker="o", label="training")
    ax_acc.plot(epochs, [100 * e["val_accuracy"] for e in report["epochs"]], marker="o", label="validation")
    hard = report.get("hard_split")
    if hard:
        ax_acc.plot([epochs[-1]], [100 * hard["val_accuracy"]], marker="*", markersize=12, linestyle="none",
                    label="hard split (after training)")
        ax_loss.plot([epochs[-1]], [hard["val_loss"]], marker="*", markersize=12, linestyle="none", label="hard split")
    chance = 100.0 / len(report["classes"])
    ax_acc.axhline(chance, color="gray", linestyle=":", label=f"chance ({chance:.1f}%)")
    ax_loss.set_title("loss (cross-entropy)")
    ax_acc.set_title("top-1 accuracy (%)")
    ax_acc.set_ylim(0, 100)
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{report['model']}, algorithm {report['algorithm']}, threads: {report['threads']}")
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


def confusion(report, out_path):
    classes = report["classes"]
    counts = report["confusion"]
    shares = [[c / max(1, sum(row)) for c in row] for row in counts]
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * n, 0.8 + 0.5 * n))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n))
    ax.set_xticklabels(classes, rotation=60, ha="right")
    ax.set_yticks(range(n))
    ax.set_yticklabels(classes)
    for i in range(n):
        for j in range(n):
            if counts[i][j]:
                ax.text(j, i, str(counts[i][j]), ha="center", va="center", fontsize=7,
                        color="white" if shares[i][j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    last = report["epochs"][-1]
    ax.set_title(f"validation, epoch {last['epoch']}: {100 * last['val_accuracy']:.1f}% right")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("curves", "confusion"):
        sys.exit(__doc__.strip().splitlines()[2])
    with open(sys.argv[1]) as f:
        report = json.load(f)
    (curves if sys.argv[3] == "curves" else confusion)(report, sys.argv[2])


if __name__ == "__main__":
    main()
