#!/usr/bin/env bash
# `oaconv predict` and `oaconv export` end to end on a checkpoint trained here: predictions on
# generated test targets beat chance by a margin, the contact sheet is a PNG of the grid's size,
# the JSON has every prediction, image files are classified, the TorchScript module loads in
# Python, and bad input (missing or corrupt checkpoint, another preset, an unreadable image,
# --input with --targets) gives a clear error and leaves no output behind.
set -uo pipefail
oaconv="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3

# 8 classes (2024 rules), easy targets at 32x32: a 3-stage network learns them in seconds.
"$oaconv" train --widths 8,16,32 --kernels 3,3,3 --epochs 6 --train-count 4000 --val-count 200 --image-size 32 \
  --difficulty easy --profile 2024 --lr 0.003 --threads 2 --checkpoint "$work/m.ckpt" > "$work/train.log" 2>&1 ||
  fail "train: $(tail -3 "$work/train.log")"

out="$("$oaconv" predict --checkpoint "$work/m.ckpt" --targets 200 --seed 5 --grid "$work/grid.png" --json "$work/p.json" --threads 2)" ||
  fail "predict on targets: $out"
last="$(echo "$out" | grep '^accuracy:')"
echo "$last" | grep -Eq '^accuracy: [0-9.]+% \([0-9]+ of 200; chance 12\.5%\)$' || fail "accuracy line: $last"
accuracy="$(echo "$last" | sed -E 's/^accuracy: ([0-9.]+)%.*/\1/')"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 25) }' || fail "accuracy $accuracy% is not 2x chance (12.5%): $out"
echo "$out" | grep -Eq '^target 5:0:  [a-z_]+ [0-9.]+%  [a-z_]+ [0-9.]+%  [a-z_]+ [0-9.]+%  \(true: [a-z_]+(, wrong)?\)$' ||
  fail "per-input line: $(echo "$out" | grep '^target 5:0:')"
"$py" - "$work/p.json" "$work/grid.png" "$accuracy" <<'PY' || fail "JSON or grid"
import json, struct, sys
p = json.load(open(sys.argv[1]))
assert len(p["predictions"]) == 200, len(p["predictions"])
for e in p["predictions"]:
    assert len(e["top"]) == 3 and e["label"] is not None, e
    probs = [t[1] for t in e["top"]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001, e
right = sum(e["top"][0][0] == e["label"] for e in p["predictions"])
assert abs(p["accuracy"] - right / 200) < 1e-9 and abs(100 * p["accuracy"] - float(sys.argv[3])) < 0.051, p["accuracy"]
png = open(sys.argv[2], "rb").read(24)
assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:8]
width, height = struct.unpack(">II", png[16:24])
# The first 64 inputs, 8 columns x 8 rows of 32 px zoomed 3x (96) plus margins and captions.
assert (width, height) == (8 * 100, 8 * 130), (width, height)
PY

# Image files: no labels, so no accuracy.
"$oaconv" targets --count 3 --seed 2 --size 48 --profile 2024 --difficulty easy --out "$work/images" --threads 1 > /dev/null ||
  fail "targets"
out="$("$oaconv" predict --checkpoint "$work/m.ckpt" --input "$work/images/0000000.png" "$work/images/0000002.png" \
  --top 2 --json "$work/files.json" --preset custom --threads 1)" || fail "predict on files: $out"
echo "$out" | grep -q "^$work/images/0000002.png:  [a-z_]* [0-9.]*%  [a-z_]* [0-9.]*%$" || fail "file line: $out"
echo "$out" | grep -q '^accuracy' && fail "accuracy printed without labels: $out"
"$py" -c "import json,sys; p=json.load(open(sys.argv[1])); assert 'accuracy' not in p and len(p['predictions'])==2 and p['predictions'][1]['label'] is None and len(p['predictions'][1]['top'])==2, p" "$work/files.json" ||
  fail "files JSON"

# Export: a TorchScript module Python loads and runs, with the class names.
"$oaconv" export --checkpoint "$work/m.ckpt" --out "$work/model.pt" > /dev/null || fail "export"
"$py" - "$work/model.pt" <<'PY' || fail "torch.jit.load of the export"
import sys, torch
m = torch.jit.load(sys.argv[1])
assert list(m.classes) == ["circle", "semicircle", "quarter_circle", "triangle", "rectangle", "pentagon", "star", "cross"], list(m.classes)
assert m.image_size == 32
y = m(torch.rand(5, 3, 32, 32))
assert tuple(y.shape) == (5, 8) and torch.isfinite(y).all()
PY

expect_error() {  # expect_error "fragment" args...
  local fragment="$1"; shift
  local msg
  if msg="$("$oaconv" "$@" 2>&1)"; then fail "expected failure for: $*"; fi
  echo "$msg" | grep -qF -- "$fragment" || fail "message for '$*' lacks '$fragment': $msg"
}
rm -f "$work/out.json" "$work/out.png"
expect_error "checkpoint '$work/missing.ckpt' does not exist" predict --checkpoint "$work/missing.ckpt" --targets 4 --json "$work/out.json"
expect_error "give either --input IMAGE... or --targets N" predict --checkpoint "$work/m.ckpt" --targets 4 --input "$work/images/0000000.png"
expect_error "give either --input IMAGE... or --targets N" predict --checkpoint "$work/m.ckpt"
expect_error "--preset large, but checkpoint '$work/m.ckpt' holds a model of preset custom" \
  predict --checkpoint "$work/m.ckpt" --targets 4 --preset large --grid "$work/out.png"
head -c 5000 "$work/m.ckpt" > "$work/cut.ckpt"
expect_error "is truncated" predict --checkpoint "$work/cut.ckpt" --targets 4 --json "$work/out.json" --grid "$work/out.png"
expect_error "is truncated" export --checkpoint "$work/cut.ckpt" --out "$work/out.pt"
echo "not an image" > "$work/bad.png"
expect_error "$work/bad.png" predict --checkpoint "$work/m.ckpt" --input "$work/bad.png" --json "$work/out.json"
expect_error "--input" predict --checkpoint "$work/m.ckpt" --input "$work/images/0000000.png" --json "$work/images/0000000.png"
for f in out.json out.png out.pt; do [ -e "$work/$f" ] && fail "a failed run left $f"; done
ls -a "$work" | grep -q '\.tmp' && fail "temporary files left behind"
echo "PASS"
