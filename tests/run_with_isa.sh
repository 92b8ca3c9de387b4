#!/usr/bin/env bash
# Runs a test binary with OACONV_ISA=$1, or exits 77 (CTest's skip) when this CPU lacks the set.
#   $1: baseline, avx2 or avx512; the rest: the command.
set -euo pipefail
set_name="$1"; shift
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
case "$set_name" in
  baseline) needed=() ;;
  avx2) needed=(avx2 fma) ;;
  avx512) needed=(avx2 fma avx512f avx512bw avx512dq avx512vl avx512cd) ;;
  *) echo "run_with_isa.sh: unknown instruction set '$set_name'" >&2; exit 2 ;;
esac
for flag in "${needed[@]}"; do
  if [[ "$flags" != *" $flag "* ]]; then echo "this CPU lacks $flag: $set_name skipped"; exit 77; fi
done
OACONV_ISA="$set_name" exec "$@"
