"""float32 error of Winograd's minimal filtering F(m x m, 3 x 3) for m = 2, 4, 6, against float64.

Builds each algorithm's matrices by Toom-Cook (interpolation points 0, +-1, +-2, +-1/2 and
infinity, the first n - 1 of them; B^T's rows scaled to Lavin and Gray's convention), checks them
exact in float64, then runs a C-channel 3x3 correlation of unit-variance data in float32 (every
transform, the per-point channel sums and the output transform) and prints the norm-wise
relative error against the float64 direct correlation, beside a direct float32 sum's.

    /usr/bin/python3 bench/winograd_error.py [--channels 16 128 256]
"""
import argparse
from fractions import Fraction

import numpy as np

POINTS = [Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(-2), Fraction(1, 2), Fraction(-1, 2)]


def matrices(m, r=3):
    """A^T (m x n), G (n x r), B^T (n x n) of F(m, r) with n = m + r - 1 (exact fractions)."""
    n = m + r - 1
    a = POINTS[:n - 1]
    # Linear convolution s = g * h (h of m values) by evaluation at a and infinity:
    # s = V^-1 [(Vg g) . (Vh h)]; the correlation F(m, r) is its transpose:
    # y = Vh^T [(Vg g) . (V^-T d)].
    def vandermonde(cols):
        rows = [[p ** k for k in range(cols)] for p in a]
        rows.append([Fraction(0)] * (cols - 1) + [Fraction(1)])
        return rows
    vg, vh, v = vandermonde(r), vandermonde(m), vandermonde(n)
    # V^-1 exactly, by Gauss-Jordan on fractions.
    aug = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(v)]
    for c in range(n):
        pivot = next(i for i in range(c, n) if aug[i][c] != 0)
        aug[c], aug[pivot] = aug[pivot], aug[c]
        f = aug[c][c]
        aug[c] = [x / f for x in aug[c]]
        for i in range(n):
            if i != c and aug[i][c] != 0:
                g = aug[i][c]
                aug[i] = [x - g * y for x, y in zip(aug[i], aug[c])]
    vinv = [row[n:] for row in aug]
    bt = [[vinv[j][i] for j in range(n)] for i in range(n)]  # (V^-1)^T
    g = [row[:] for row in vg]
    # Lavin's scaling: row j of B^T times f_j = prod (a_j - a_l), G's row j divided by it.
    for j in range(n - 1):
        f = Fraction(1)
        for l in range(n - 1):
            if l != j:
                f *= a[j] - a[l]
        bt[j] = [x * f for x in bt[j]]
        g[j] = [x / f for x in g[j]]
    at = [[vh[j][i] for j in range(n)] for i in range(m)]
    return (np.array(at, dtype=float), np.array(g, dtype=float), np.array(bt, dtype=float))


def winograd_2d(x, w, m, dtype):
    """Valid 3x3 correlation of x (C, H, W) with w (C, 3, 3) summed over C, by F(m x m, 3 x 3)."""
    at, g, bt = (t.astype(dtype) for t in matrices(m))
    n = m + 2
    c, h, wd = x.shape
    th, tw = (h - 2) // m, (wd - 2) // m
    x = x.astype(dtype)
    u = np.einsum("ij,cjk,lk->cil", g, w.astype(dtype), g)  # G g G^T per channel
    y = np.zeros((th * m, tw * m), dtype=dtype)
    for i in range(th):
        for j in range(tw):
            d = x[:, i * m:i * m + n, j * m:j * m + n]
            v = np.einsum("ij,cjk,lk->cil", bt, d, bt)  # B^T d B
            mm = (u * v).sum(axis=0, dtype=dtype)
            y[i * m:(i + 1) * m, j * m:(j + 1) * m] = at @ mm @ at.T
    return y


def direct(x, w, dtype):
    c, h, wd = x.shape
    x, w = x.astype(dtype), w.astype(dtype)
    y = np.zeros((h - 2, wd - 2), dtype=dtype)
    for a in range(3):
        for b in range(3):
            y += np.einsum("c,chw->hw", w[:, a, b], x[:, a:a + h - 2, b:b + wd - 2], dtype=dtype)
    return y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[16, 128, 256])
    parser.add_argument("--size", type=int, default=26, help="input rows and columns (a multiple of 2, 4 and 6, plus 2)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    for m in (2, 4, 6):
        x = rng.standard_normal((2, 14, 14))
        w = rng.standard_normal((2, 3, 3))
        exact = np.abs(winograd_2d(x, w, m, np.float64)[: 12, : 12] - direct(x, w, np.float64)[: 12, : 12]).max()
        assert exact < 1e-9, "F(%d x %d, 3 x 3): matrices not exact (%g)" % (m, m, exact)
    print("channels   direct f32   F(2x2,3x3)   F(4x4,3x3)   F(6x6,3x3)   (norm-wise relative error vs float64)")
    for c in args.channels:
        x = rng.standard_normal((c, args.size, args.size))
        w = rng.standard_normal((c, 3, 3))
        ref = direct(x, w, np.float64)
        err = lambda y: np.linalg.norm(y.astype(np.float64) - ref) / np.linalg.norm(ref)
        row = [err(direct(x, w, np.float32))] + [err(winograd_2d(x, w, m, np.float32)) for m in (2, 4, 6)]
        print("%8d   " % c + "   ".join("%10.2e" % e for e in row))


if __name__ == "__main__":
    main()
