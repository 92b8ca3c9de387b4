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
  --hard-val-count 24 --plot "$work/curves.png" --plot-confusion "$work/confusion.png" 2>&1)" || fail "train failed: $out"
for png in curves confusion; do
  [ "$(head -c 8 "$work/$png.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || fail "--plot${png/curves/} did not write a PNG"
done
/usr/bin/python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
n = len(j['classes'])
assert n == 13 and len(j['confusion']) == n and all(len(r) == n for r in j['confusion']), j.get('classes')
assert all('train_accuracy' in e and 'val_accuracy' in e for e in j['epochs']) and len(j['epochs']) == 2
" "$work/t.json" || fail "train JSON lacks classes, confusion matrix or accuracies"
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
expect_error "unknown algorithm 'tiled'" train --algorithm tiled "${tiny[@]}"
expect_error "--epochs must be at least 1, but got 0" train --epochs 0 "${tiny[@]}"
expect_error "--batch-size 100 is larger than the training set (64 samples)" train --preset small --image-size 32 --train-count 64 --val-count 32 --batch-size 100
expect_error "--hard-val-count must be >= 0, but got -5" train --hard-val-count -5 "${tiny[@]}"
expect_error "--plot '/nonexistent/p.png': directory '/nonexistent' does not exist" compare "${one[@]}" --plot /nonexistent/p.png
expect_error "--checkpoint '$work/same' and --json '$work/same' are the same file" train "${tiny[@]}" --checkpoint "$work/same" --json "$work/same"
# Every output path is checked before any work.
expect_error "--json '/nonexistent/h.json': directory '/nonexistent' does not exist" train "${tiny[@]}" --json /nonexistent/h.json
expect_error "--checkpoint '/nonexistent/c.ckpt': directory '/nonexistent' does not exist" train "${tiny[@]}" --checkpoint /nonexistent/c.ckpt
expect_error "learning rate must be positive and finite, but got inf" train "${tiny[@]}" --lr inf
expect_error "--widths: every stage width must be from 1 to 4096, but got 1000000" train --preset small --image-size 32 --train-count 64 --val-count 32 --batch-size 16 --widths 1000000,8 --kernels 3,5
expect_error "--train-count 100000000 and --val-count 32 need" train --preset small --image-size 32 --train-count 100000000 --val-count 32
expect_error "--threads 4096 is more than 4 per core" info --threads 4096 --no-timing
# info's table: every algorithm it times has a row of numbers; one that declines the layer is
# named with the reason and not timed (its calls would run aten).
out="$("$oaconv" info --threads 1 --shape 1,2,2,8,8,5 --algorithms winograd,direct --repeats 1 2>&1)" || fail "info failed: $out"
echo "$out" | grep -Eq "^aten +[0-9.]+ " || fail "info has no aten row: $out"
echo "$out" | grep -Eq "^direct +[0-9.]+ " || fail "info has no direct row: $out"
echo "$out" | grep -q "^winograd declines this layer (winograd: F(4x4, 3x3) is for 3x3 kernels)" ||
  fail "info does not say winograd declines a 5x5 layer: $out"
# --padding: a ViT-style patch layer (k4 s4, no padding), and a padding that leaves no output.
patch="$("$oaconv" info --threads 1 --shape 1,3,8,16,16,4 --stride 4 --padding 0 --algorithms direct --repeats 1 2>&1)" ||
  fail "info --padding 0 failed: $patch"
echo "$patch" | grep -q "k4 s4 p0" || fail "info does not time the layer with padding 0: $patch"
expect_error "leaves no output" info --threads 1 --shape 1,3,8,4,4,7 --padding 0 --algorithms direct
# A kernel of 2 at stride 2 on one sample: (1 - 2) / 2 + 1 is 1 in C++'s division, no output in torch's.
expect_error "padding 0 leaves no output of size 1 with kernel 2 and stride 2" info --threads 1 --shape 1,3,8,1,1,2 --stride 2 --padding 0 --algorithms direct
# Paddings and sizes beyond any allocation: our rule, not the allocator's (nor a signed overflow).
expect_error "at most 2^31 (8 GiB in float32) are timed" info --threads 1 --shape 1,3,8,4,4,2 --padding 100000 --algorithms direct
expect_error "at most 2^31 (8 GiB in float32) are timed" info --threads 1 --shape 1,3,8,4,4,2 --padding 4611686018427387904 --algorithms direct
expect_error "at most 2^31 (8 GiB in float32) are timed" info --threads 1 --shape 100000,3,8,1000,1000,3 --algorithms direct
# --channels-last: the layer timed with an NHWC input; a 1-D layer has no such layout.
nhwc="$("$oaconv" info --threads 1 --shape 1,4,4,9,8,3 --channels-last --algorithms direct --repeats 1 2>&1)" ||
  fail "info --channels-last failed: $nhwc"
echo "$nhwc" | grep -q "k3 p1 channels-last" || fail "info does not say the layer is channels-last: $nhwc"
echo "$nhwc" | grep -Eq "^direct +[0-9.]+ " || fail "info --channels-last has no direct row: $nhwc"
expect_error "a conv1d layer's tensors have no channels-last layout" info --threads 1 --kind conv1d --shape 1,4,4,64,3 --channels-last
expect_error "unknown preset 'huge'" compare --preset huge --train-count 64 --val-count 32 --image-size 32
# Ctrl-C: the checkpoint is saved and the exit status is 130, as for an interrupted program.
long=(--preset small --widths 4,8 --kernels 3,5 --image-size 32 --train-count 256 --val-count 32 --batch-size 8
      --threads 1 --epochs 1000 --algorithm aten --checkpoint "$work/int.ckpt")
"$oaconv" train "${long[@]}" > "$work/int.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^model:" "$work/int.log" && break; sleep 0.1; done
sleep 1
kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 130 ] || fail "Ctrl-C should exit with 130, got $status: $(cat "$work/int.log")"
grep -q "interrupted at epoch" "$work/int.log" || fail "no interruption message: $(cat "$work/int.log")"
[ -s "$work/int.ckpt" ] || fail "no checkpoint after Ctrl-C"
echo "1 passed, 0 failed"
