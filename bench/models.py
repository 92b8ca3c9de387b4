#!/usr/bin/python3
"""Training steps of whole models, torch's own convolutions against oaconv.convert(model, "auto").

Usage: PYTHONPATH=build/python bench/models.py [--threads 2] [--rounds 5] [--out bench/results/models]
                                               [--omp-wait-policy passive|default] [--channels-last]
For each model (torchvision resnet18, mobilenet_v2, convnext_tiny, efficientnet_b0, the grouped
regnet_x_400mf and resnext50_32x4d, VGG-11's convolutions, a U-Net, and a RepLKNet-style
large-kernel network: depthwise 31/29/27/13 with 1x1 MLP blocks), one training step is forward, cross-entropy (per image, or per pixel for the
U-Net's segmentation), backward and an SGD step. --channels-last runs both copies with the model
and its input in channels-last memory format (PyTorch's CPU recipe for oneDNN). The converted copy's first step (auto
measures each new layer shape) is timed apart; then both copies run in interleaved rounds
(torch, oaconv, torch, oaconv, ...) and each keeps the median of its rounds. Writes OUT.json and
OUT.png (speedup per model) and prints a table.

OpenMP's idle threads sleep (OMP_WAIT_POLICY=passive) unless --omp-wait-policy default: with
libgomp's default they spin after every parallel region, and Debian's OpenBLAS runs its own
pool of threads for torch's matrix products, so on 2 cores the two pools take turns on the
cores: torch's own convnext_tiny step took 1.36-1.85 s spinning against 0.85-1.1 s passive, and
its resnet18 step moved 180-280 ms between runs (passive: within 2 %)."""
import argparse
import copy
import json
import os
import statistics
import sys
import time

import torch
import torchvision

import oaconv


class LargeKernelBlock(torch.nn.Module):
    """RepLKNet-style: depthwise k x k with a residual, then a 1x1 MLP (x4) with a residual."""

    def __init__(self, channels, kernel):
        super().__init__()
        self.norm1 = torch.nn.BatchNorm2d(channels)
        self.depthwise = torch.nn.Conv2d(channels, channels, kernel, padding=kernel // 2, groups=channels)
        self.norm2 = torch.nn.BatchNorm2d(channels)
        self.expand = torch.nn.Conv2d(channels, 4 * channels, 1)
        self.reduce = torch.nn.Conv2d(4 * channels, channels, 1)

    def forward(self, x):
        x = x + self.depthwise(self.norm1(x))
        return x + self.reduce(torch.nn.functional.gelu(self.expand(self.norm2(x))))


def large_kernel_net(num_classes=10, widths=(32, 64, 128, 256), kernels=(31, 29, 27, 13)):
    layers = [torch.nn.Conv2d(3, widths[0], 4, stride=4)]
    for i, (width, kernel) in enumerate(zip(widths, kernels)):
        if i:
            layers.append(torch.nn.Conv2d(widths[i - 1], width, 2, stride=2))
        layers.append(LargeKernelBlock(width, kernel))
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(widths[-1], num_classes)]
    return torch.nn.Sequential(*layers)


def vgg11_features(num_classes=10):
    """torchvision's VGG-11 with a global-pool head: its eight 3x3 convolutions, without the
    classifier's 25088 x 4096 Linear layer (120 M parameters whose SGD update alone would
    outweigh the convolutions at 128x128)."""
    model = torchvision.models.vgg11(num_classes=num_classes)
    model.avgpool = torch.nn.AdaptiveAvgPool2d(1)
    model.classifier = torch.nn.Linear(512, num_classes)
    return model


def conv_bn_relu(in_channels, out_channels):
    return [torch.nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), torch.nn.BatchNorm2d(out_channels),
            torch.nn.ReLU(inplace=True)]


class UNet(torch.nn.Module):
    """U-Net (Ronneberger et al. 2015) with padded 3x3 convolutions: two conv-BN-ReLU a level,
    2x2 max-pooling down, 2x2 stride-2 transposed convolutions up, the encoder's features
    concatenated in; a 1x1 convolution gives per-pixel class scores."""

    def __init__(self, num_classes=10, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        self.down = torch.nn.ModuleList()
        in_channels = 3
        for width in widths:
            self.down.append(torch.nn.Sequential(*conv_bn_relu(in_channels, width), *conv_bn_relu(width, width)))
            in_channels = width
        self.up = torch.nn.ModuleList()
        self.merge = torch.nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(torch.nn.ConvTranspose2d(in_channels, width, 2, stride=2))
            self.merge.append(torch.nn.Sequential(*conv_bn_relu(2 * width, width), *conv_bn_relu(width, width)))
            in_channels = width
        self.head = torch.nn.Conv2d(in_channels, num_classes, 1)

    def forward(self, x):
        skips = []
        for i, level in enumerate(self.down):
            x = level(x if i == 0 else torch.nn.functional.max_pool2d(x, 2))
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)


# name, constructor, batch, resolution, per-pixel labels: a torch step of about 0.2-2 s on 2 cores
MODELS = [
    ("resnet18", lambda: torchvision.models.resnet18(num_classes=10), 8, 128, False),
    ("mobilenet_v2", lambda: torchvision.models.mobilenet_v2(num_classes=10), 8, 128, False),
    ("convnext_tiny", lambda: torchvision.models.convnext_tiny(num_classes=10), 4, 128, False),
    ("efficientnet_b0", lambda: torchvision.models.efficientnet_b0(num_classes=10), 8, 128, False),
    ("regnet_x_400mf", lambda: torchvision.models.regnet_x_400mf(num_classes=10), 8, 128, False),
    ("resnext50_32x4d", lambda: torchvision.models.resnext50_32x4d(num_classes=10), 4, 128, False),
    ("vgg11", vgg11_features, 8, 128, False),
    ("unet", UNet, 4, 128, True),
    ("large_kernel", large_kernel_net, 8, 128, False),
]


def step_seconds(model, optimizer, x, y):
    start = time.perf_counter()
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="bench/results/models")
    parser.add_argument("--models", nargs="+", choices=[m[0] for m in MODELS], default=[m[0] for m in MODELS],
                        help="which models to time (default: all)")
    parser.add_argument("--omp-wait-policy", choices=["passive", "default"], default="passive",
                        help="OpenMP's idle threads sleep (passive, default) or spin as libgomp's default has them")
    parser.add_argument("--channels-last", action="store_true",
                        help="models and inputs in channels-last memory format (default: contiguous)")
    args = parser.parse_args()
    # libgomp reads the policy once, when torch loads it: start again with it set.
    wanted = "PASSIVE" if args.omp_wait_policy == "passive" else None
    if os.environ.get("OMP_WAIT_POLICY") != wanted:
        if wanted:
            os.environ["OMP_WAIT_POLICY"] = wanted
        else:
            os.environ.pop("OMP_WAIT_POLICY")
        os.execv(sys.executable, [sys.executable] + sys.argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name, make, batch, size, per_pixel in MODELS:
        if name not in args.models:
            continue
        torch.manual_seed(0)
        reference = make()
        if args.channels_last:
            reference = reference.to(memory_format=torch.channels_last)
        converted = copy.deepcopy(reference)
        count = oaconv.convert(converted, "auto")
        x = torch.randn(batch, 3, size, size)
        if args.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 10, (batch, size, size) if per_pixel else (batch,))
        opt_ref = torch.optim.SGD(reference.parameters(), lr=0.01)
        opt_oa = torch.optim.SGD(converted.parameters(), lr=0.01)
        warm_torch = step_seconds(reference, opt_ref, x, y)  # torch's own first step (allocator warm-up)
        first = step_seconds(converted, opt_oa, x, y)  # auto measures here
        torch_s, oaconv_s = [], []
        for _ in range(args.rounds):
            torch_s.append(step_seconds(reference, opt_ref, x, y))
            oaconv_s.append(step_seconds(converted, opt_oa, x, y))
        row = dict(model=name, batch=batch, resolution=size, convolutions=count, torch_ms=1e3 * statistics.median(torch_s),
                   oaconv_ms=1e3 * statistics.median(oaconv_s), oaconv_first_step_ms=1e3 * first,
                   torch_first_step_ms=1e3 * warm_torch)
        row["speedup"] = row["torch_ms"] / row["oaconv_ms"]
        rows.append(row)
        print("%-16s N%d %dx%d  %2d convs  torch %8.1f ms  oaconv auto %8.1f ms  %5.2fx  (first step %.0f ms)" % (
            name, batch, size, size, count, row["torch_ms"], row["oaconv_ms"], row["speedup"], first * 1e3), flush=True)
    result = dict(threads=args.threads, rounds=args.rounds, omp_wait_policy=args.omp_wait_policy,
                  channels_last=args.channels_last,
                  torch=torch.__version__, oaconv=oaconv.__version__, models=rows)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    tmp = args.out + ".json.tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, args.out + ".json")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.bar([r["model"] for r in rows], [r["speedup"] for r in rows], color="tab:green")
    ax.axhline(1.0, color="black", lw=1)
    for i, r in enumerate(rows):
        ax.text(i, r["speedup"], "%.2fx" % r["speedup"], ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("training step speedup over torch")
    ax.set_title("oaconv.convert(model, 'auto') vs torch, %d threads, OpenMP %s%s (median of %d interleaved rounds)" % (
        args.threads, args.omp_wait_policy, ", channels-last" if args.channels_last else "", args.rounds), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    plt.setp(ax.get_xticklabels(), rotation=25, ha="right")  # nine names do not fit side by side
    fig.tight_layout()
    fig.savefig(args.out + ".png.tmp.png", dpi=110)
    os.replace(args.out + ".png.tmp.png", args.out + ".png")
    print("wrote %s.json and %s.png" % (args.out, args.out))


if __name__ == "__main__":
    main()
