#!/usr/bin/env bash
# `oaconv targets` end to end: outputs written whole, the last line's format, and clear errors
# (with nothing left behind) for bad options and unwritable paths.
set -uo pipefail
oaconv="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out="$("$oaconv" targets --count 37 --seed 9 --size 40 --grid "$work/grid.png" --out "$work/samples" --meta "$work/meta.jsonl" --threads 2)" || fail "normal run failed: $out"
echo "$out" | tail -n 1 | grep -Eq '^generated 37 samples in [0-9.]+ s \([0-9]+ samples/s\)$' || fail "last line: $(echo "$out" | tail -n 1)"
[ -s "$work/grid.png" ] || fail "no grid"
[ "$(ls "$work/samples"/*.png | wc -l)" -eq 37 ] || fail "expected 37 PNGs"
[ "$(wc -l < "$work/samples/labels.csv")" -eq 38 ] || fail "labels.csv should have a header and 37 rows"
[ "$(wc -l < "$work/meta.jsonl")" -eq 37 ] || fail "meta.jsonl should have 37 lines"
ls "$work" "$work/samples" | grep -q '\.tmp' && fail "temporary files left behind"

# The same seed gives the same files.
"$oaconv" targets --count 37 --seed 9 --size 40 --out "$work/again" --threads 1 > /dev/null || fail "second run"
cmp -s "$work/samples/0000012.png" "$work/again/0000012.png" || fail "same seed, different PNG"

expect_error() {  # expect_error "fragment" args...
  local fragment="$1"; shift
  local msg
  if msg="$("$oaconv" "$@" 2>&1)"; then fail "expected failure for: $*"; fi
  echo "$msg" | grep -qF -- "$fragment" || fail "message for '$*' lacks '$fragment': $msg"
}
expect_error "image_size must be in [32, 256], but got 0" targets --count 5 --size 0
expect_error "unknown rule profile '1999'" targets --count 5 --profile 1999
expect_error "--count must be from 1 to 10000000, but got -3" targets --count -3
expect_error "--count must be from 1 to 10000000, but got 1000000000000" targets --count 1000000000000
expect_error "--threads 4096 is more than 4 per core" targets --count 5 --threads 4096
expect_error "--grid '$work/same' and --meta '$work/same' are the same file" targets --count 5 --grid "$work/same" --meta "$work/same"
expect_error "--grid '$work/./same' and --meta '$work/same' are the same file" targets --count 5 --grid "$work/./same" --meta "$work/same"
# An existing special file is never replaced (as root, an atomic write would replace /dev/null).
expect_error "'/dev/null' exists and is not a regular file" targets --count 5 --meta /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
# The writability probe never touches a file of the user's.
echo keep > "$work/.oaconv_probe_grid.png"
"$oaconv" targets --count 2 --size 32 --grid "$work/grid.png" --threads 1 > /dev/null || fail "grid run"
[ "$(cat "$work/.oaconv_probe_grid.png")" = keep ] || fail "the probe deleted or changed a user's file"
expect_error "does not exist" targets --count 5 --grid "$work/missing/dir/grid.png"
mkdir -p "$work/readonly" && chmod 555 "$work/readonly"
if [ "$(id -u)" -ne 0 ]; then
  expect_error "is not writable" targets --count 5 --meta "$work/readonly/meta.jsonl"
fi
touch "$work/afile"
expect_error "--out '$work/afile/sub' cannot be created" targets --count 5 --out "$work/afile/sub"
[ -e "$work/missing" ] && fail "a failed run created files"
echo "1 passed, 0 failed"
