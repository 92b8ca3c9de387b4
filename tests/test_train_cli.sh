#!/usr/bin/env bash
# `oaconv train` and `oaconv compare` end to end on tiny data: outputs, JSON, plot, errors.
set -uo pipefail
oaconv="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tiny=(--preset small --widths 4,8 --kernels 3,5 --image-size 32 --train-count 64 --val-count 32 --batch-size 16 --threads 2)

out="$("$oaconv" compare --algorithms aten,oaa --epochs 2 "${tiny[@]}" --json "$work/c.json" --plot "$work/c.png" 2>&1)" ||
  fail "compare failed: $out"
echo "$out" | grep -q "speedup" || fail "no comparison table: $out"
[ -s "$work/c.json" ] && [ -s "$work/c.png" ] || fail "compare did not write its JSON and plot"
grep -q '"algorithm": "oaa"' "$work/c.json" || fail "JSON lacks the oaa run"

# Paths reach the plotting script as arguments, never through a shell: shell syntax in a path is
# just part of the file's name.
one=(--preset small --widths 4,8 --kernels 3,5 --image-size 32 --train-count 8 --val-count 4 --batch-size 4
     --threads 1 --epochs 1 --algorithms aten)
mkdir "$work/plots"
(cd "$work/plots" && "$oaconv" compare "${one[@]}" --plot "x'; touch INJECTED; echo 'y.png" > /dev/null 2>&1) ||
  fail "compare with shell syntax in --plot failed"
[ ! -e "$work/plots/INJECTED" ] || fail "the --plot path was run through a shell"
[ -s "$work/plots/x'; touch INJECTED; echo 'y.png" ] || fail "the plot with shell syntax in its name was not written"
# A format matplotlib refuses fails with a clear error and leaves no file behind.
if out="$(cd "$work/plots" && "$oaconv" compare "${one[@]}" --plot c.xyz 2>&1)"; then fail "--plot c.xyz should fail"; fi
echo "$out" | grep -q "plotting 'c.xyz' failed" || fail "no plotting error: $out"
leftover="$(cd "$work/plots" && ls -A | grep -v "^x'" || true)"
[ -z "$leftover" ] || fail "a failed plot left files: $leftover"

out="$("$oaconv" train --algorithm fft --epochs 2 "${tiny[@]}" --checkpoint "$work/t.ckpt" --json "$work/t.json" \
  --hard-val-count 24 2>&1)" || fail "train failed: $out"
[ -s "$work/t.ckpt" ] || fail "no checkpoint"
echo "$out" | grep -q "^hard split (24 samples): loss [0-9.]*, accuracy [0-9.]*%" || fail "no hard-split line: $out"
echo "$out" | grep -q "^wall time since start: [0-9.]* s" || fail "no wall-time line: $out"
grep -q '"hard_split"' "$work/t.json" && grep -q '"samples": 24' "$work/t.json" || fail "JSON lacks the hard split"
out="$("$oaconv" train --algorithm fft --epochs 3 "${tiny[@]}" --checkpoint "$work/t.ckpt" --resume 2>&1)"
echo "$out" | grep -q "belongs to another run" || fail "resuming with other options should be refused: $out"

expect_error() {
  local fragment="$1"; shift
  local msg
  if msg="$("$oaconv" "$@" 2>&1)"; then fail "expected failure for: $*"; fi
  echo "$msg" | grep -qF -- "$fragment" || fail "message for '$*' lacks '$fragment': $msg"
}
expect_error "unknown algorithm 'winograd'" train --algorithm winograd "${tiny[@]}"
expect_error "--epochs must be at least 1, but got 0" train --epochs 0 "${tiny[@]}"
expect_error "--batch-size 100 is larger than the training set (64 samples)" train --preset small --image-size 32 --train-count 64 --val-count 32 --batch-size 100
expect_error "--hard-val-count must be >= 0, but got -5" train --hard-val-count -5 "${tiny[@]}"
expect_error "--plot '/nonexistent/p.png': directory '/nonexistent' does not exist" compare "${one[@]}" --plot /nonexistent/p.png
expect_error "unknown preset 'huge'" compare --preset huge --train-count 64 --val-count 32 --image-size 32
echo "1 passed, 0 failed"
