#!/usr/bin/env bash
# `oaconv filter` end to end: PNG + .npy + JSON outputs with the documented shapes and keys,
# all algorithms agreeing, kernel files, and clear errors with no output file left behind.
set -uo pipefail
oaconv="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3  # Debian's, with numpy

# Real-looking input images: rendered UAV target scenes (64x64 PNG).
"$oaconv" targets --count 2 --size 64 --out "$work/in" --threads 2 > /dev/null || fail "targets"
img="$work/in/0000000.png"

out="$("$oaconv" filter --input "$img" --output "$work/g.png" --output-npy "$work/g.npy" --kernel gaussian:9:2 --gray \
       --repeat 3 --json "$work/g.json" --threads 2)" || fail "gray run: $out"
echo "$out" | grep -Eq 'cold [0-9.]+ ms, warm median [0-9.]+ ms over 2 applications' || fail "timing line: $out"
[ -s "$work/g.png" ] || fail "no PNG"
"$py" - "$work" <<'PY' || fail "gray outputs"
import json, sys, numpy as np
w = sys.argv[1]
r = json.load(open(w + "/g.json"))
for key in ("algorithm", "cold_ms", "warm_ms_median", "height", "width", "kernel"):
    assert key in r, key
assert r["kernel"] == [9, 9] and r["height"] == 64 and r["width"] == 64 and r["warm_ms_median"] > 0, r
a = np.load(w + "/g.npy")
assert a.dtype == np.float32 and a.shape == (64, 64), (a.dtype, a.shape)
PY

# Colour: (H, W, 3); every algorithm gives the same image in every boundary mode.
for boundary in zero reflect replicate circular; do
  for algorithm in aten direct fft oaa separable box auto; do
    "$oaconv" filter --input "$img" --output "$work/c_$algorithm.png" --output-npy "$work/c_$algorithm.npy" \
      --kernel box:7 --boundary "$boundary" --algorithm "$algorithm" --threads 2 > /dev/null || fail "$algorithm $boundary"
  done
  "$py" - "$work" <<'PY' || fail "algorithms disagree ($boundary)"
import sys, numpy as np
w = sys.argv[1]
ref = np.load(w + "/c_direct.npy").astype(np.float64)
assert ref.shape == (64, 64, 3), ref.shape
for a in ("aten", "fft", "oaa", "separable", "box", "auto"):
    x = np.load(w + "/c_%s.npy" % a)
    err = np.linalg.norm(x - ref) / np.linalg.norm(ref)
    assert err <= 1e-5, (a, err)
PY
done

# A text kernel (comments, commas) as a correlation equals the flipped kernel as a convolution
# (odd sizes: for even ones the two differ by the half-pixel centre shift scipy.ndimage has too).
printf '# a 3x3 kernel\n1, 2, 0\n3 4 7\n-1 0.5 2  # last row\n' > "$work/k.txt"
printf '2 0.5 -1\n7 4 3\n0 2 1\n' > "$work/flipped.txt"
"$oaconv" filter --input "$img" --output "$work/t1.png" --output-npy "$work/t1.npy" --kernel "$work/k.txt" --correlate --gray > /dev/null || fail "text kernel"
"$oaconv" filter --input "$img" --output "$work/t2.png" --output-npy "$work/t2.npy" --kernel "$work/flipped.txt" --gray > /dev/null || fail "flipped text kernel"
"$py" -c "import numpy as np,sys; a=np.load('$work/t1.npy'); b=np.load('$work/t2.npy'); sys.exit(0 if np.allclose(a,b,atol=1e-6) else 1)" || fail "correlate != flipped convolve"
# .npy kernels, as numpy writes them.
"$py" -c "import numpy as np; np.save('$work/k.npy', np.arange(15, dtype=np.float64).reshape(3, 5) / 100)"
"$oaconv" filter --input "$img" --output "$work/n.png" --kernel "$work/k.npy" --algorithm separable > /dev/null || fail ".npy kernel"

expect_error() {  # expect_error "fragment" args...
  local fragment="$1"; shift
  local msg
  if msg="$("$oaconv" "$@" 2>&1)"; then fail "expected failure for: $*"; fi
  echo "$msg" | grep -qF -- "$fragment" || fail "message for '$*' lacks '$fragment': $msg"
}
head -c 300 "$img" > "$work/cut.png"
printf 'not an image' > "$work/junk.png"
base=(filter --output "$work/x.png")
expect_error "cannot decode '$work/cut.png' as an image" "${base[@]}" --input "$work/cut.png" --kernel box:3
expect_error "cannot decode '$work/junk.png' as an image" "${base[@]}" --input "$work/junk.png" --kernel box:3
expect_error "'$work/none.png' is not a readable file" "${base[@]}" --input "$work/none.png" --kernel box:3
expect_error "expected gaussian:SIZE:SIGMA" "${base[@]}" --input "$img" --kernel gaussian:9
expect_error "SIGMA 'x' is not a number" "${base[@]}" --input "$img" --kernel gaussian:9:x
expect_error "SIGMA must be positive" "${base[@]}" --input "$img" --kernel gaussian:9:-1
expect_error "SIZE must be an integer from 1 to 4096, got '0'" "${base[@]}" --input "$img" --kernel box:0
expect_error "SIZE must be an integer from 1 to 4096, got '2.5'" "${base[@]}" --input "$img" --kernel box:2.5
expect_error "and no such file exists" "${base[@]}" --input "$img" --kernel sobel
printf '1 2\n3\n' > "$work/ragged.txt"
expect_error "line 2 has 1 numbers but earlier rows have 2" "${base[@]}" --input "$img" --kernel "$work/ragged.txt"
expect_error "the 65x65 kernel is larger than the 64x64 image" "${base[@]}" --input "$img" --kernel box:65
expect_error "algorithm 'box' needs a kernel whose entries are all equal" "${base[@]}" --input "$img" --kernel gaussian:5:1 --algorithm box
expect_error "unknown boundary mode 'mirror'" "${base[@]}" --input "$img" --kernel box:3 --boundary mirror
expect_error "unknown filter algorithm 'winograd'" "${base[@]}" --input "$img" --kernel box:3 --algorithm winograd
expect_error "--repeat must be from 1 to 1000, got 0" "${base[@]}" --input "$img" --kernel box:3 --repeat 0
expect_error "--repeat must be from 1 to 1000, got 1000000000000" "${base[@]}" --input "$img" --kernel box:3 --repeat 1000000000000
expect_error "--threads 512 is more than 4 per core" "${base[@]}" --input "$img" --kernel box:3 --threads 512
expect_error "--threads must be >= 0 (0 = every core), but got -1" "${base[@]}" --input "$img" --kernel box:3 --threads -1
# A kernel larger than the image is refused before the kernel is factored (seconds of SVD).
start=$(date +%s)
expect_error "the 4096x4096 kernel is larger than the 64x64 image" "${base[@]}" --input "$img" --kernel gaussian:4096:3
[ $(( $(date +%s) - start )) -le 10 ] || fail "the oversized kernel was refused only after the work"
"$py" -c "print(' '.join(['1'] * 5000))" > "$work/wide.txt"
expect_error "line 1 has more than 4096 numbers" "${base[@]}" --input "$img" --kernel "$work/wide.txt"
# An image larger than the limit is refused from its header, before decoding (a PNG header
# declaring 18000x18000 and no pixel data).
"$py" - "$work/huge.png" <<'PY'
import struct, sys, zlib
ihdr = struct.pack(">IIBBBBB", 18000, 18000, 8, 2, 0, 0, 0)
chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk)
PY
expect_error "is 18000x18000 (324 megapixels); images of at most 100 megapixels are read" "${base[@]}" --input "$work/huge.png" --kernel box:3
# Outputs never overwrite the input or each other, nor replace a special file.
cp "$img" "$work/in_copy.png"
expect_error "--input '$work/in_copy.png' and --output '$work/in_copy.png' are the same file: the output would overwrite the input" \
  filter --input "$work/in_copy.png" --output "$work/in_copy.png" --kernel box:3
ln -s "$work/in_copy.png" "$work/link.png"
expect_error "are the same file: the output would overwrite the input" filter --input "$work/in_copy.png" --output "$work/link.png" --kernel box:3
cmp -s "$img" "$work/in_copy.png" || fail "the input was changed"
expect_error "--output '$work/o.x' and --output-npy '$work/o.x' are the same file" filter --input "$img" --kernel box:3 --output "$work/o.x" --output-npy "$work/o.x"
expect_error "'/dev/null' exists and is not a regular file" filter --input "$img" --kernel box:3 --output /dev/null
[ -e "$work/x.png" ] && fail "a failed run left an output file"
expect_error "directory '$work/no/such' does not exist" filter --input "$img" --kernel box:3 --output "$work/no/such/x.png"
expect_error "--output-npy '$work/nope/x.npy'" filter --input "$img" --kernel box:3 --output "$work/y.png" --output-npy "$work/nope/x.npy"
[ -e "$work/y.png" ] && fail "the PNG was written although the .npy path was bad"
ls "$work" | grep -q '\.tmp' && fail "temporary files left behind"
echo "1 passed, 0 failed"
