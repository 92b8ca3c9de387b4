#!/usr/bin/env bash
# OACONV_ISA errors: an unknown name, or a set this CPU lacks, stops the command with a message
# naming the variable, the value and the sets the CPU has.
set -uo pipefail
oaconv="$1"
fail() { echo "FAIL: $*"; exit 1; }

expect_error() {  # expect_error VALUE "fragment"
  local msg
  if msg="$(OACONV_ISA="$1" "$oaconv" info --threads 1 2>&1)"; then fail "OACONV_ISA=$1 was accepted"; fi
  echo "$msg" | grep -qF -- "$2" || fail "message for OACONV_ISA=$1 lacks '$2': $msg"
}
expect_error foo "OACONV_ISA=foo: unknown instruction set; expected one of baseline, avx2, avx512 (this CPU runs baseline"
expect_error AVX2 "OACONV_ISA=AVX2: unknown instruction set"

flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
checked=0
for pair in avx2:avx2 avx512:avx512f; do
  set_name="${pair%%:*}" flag="${pair##*:}"
  if [[ "$flags" != *" $flag "* ]]; then
    expect_error "$set_name" "OACONV_ISA=$set_name: this CPU does not run the $set_name instruction set"
    checked=$((checked + 1))
  fi
done
echo "OACONV_ISA errors: clear (unsupported-set message checked for $checked set(s) this CPU lacks)"
