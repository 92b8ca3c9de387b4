#!/usr/bin/env bash
# The binaries run on any x86-64: only the kernel libraries hold AVX2 or AVX-512 code, each only
# its own instruction set's, and nothing that runs when a library is loaded uses either.
#   $1: the build folder; the rest: the binaries and libraries outside the kernel libraries.
set -euo pipefail
build="$1"; shift
fail=0

# Instructions with VEX or EVEX encoding (AVX and later) name an xmm/ymm/zmm register with a
# v-prefixed mnemonic; EVEX ones may also name a mask register %k0-%k7.
vex_count() { objdump -d --no-show-raw-insn "$1" | grep -cE '^ *[0-9a-f]+:[[:space:]]+v[a-z0-9]+ .*%[xyz]mm' || true; }
zmm_count() { objdump -d --no-show-raw-insn "$1" | grep -cE '%zmm|%k[0-7]' || true; }
ymm_count() { objdump -d --no-show-raw-insn "$1" | grep -c '%ymm' || true; }

for binary in "$@"; do
  n=$(vex_count "$binary")
  if [ "$n" != 0 ]; then echo "FAIL: $binary has $n AVX instructions (only the kernel libraries may)"; fail=1; fi
done

kernels() { echo "$build/layers/liboaconv_kernels_$1.so"; }
[ "$(vex_count "$(kernels baseline)")" = 0 ] || { echo "FAIL: the baseline kernels use AVX"; fail=1; }
[ "$(zmm_count "$(kernels avx2)")" = 0 ] || { echo "FAIL: the AVX2 kernels use AVX-512 registers"; fail=1; }
[ "$(ymm_count "$(kernels avx2)")" != 0 ] || { echo "FAIL: the AVX2 kernels have no 256-bit code (built for the wrong set?)"; fail=1; }
[ "$(zmm_count "$(kernels avx512)")" != 0 ] || { echo "FAIL: the AVX-512 kernels have no 512-bit code"; fail=1; }

for set in baseline avx2 avx512; do
  lib=$(kernels "$set")
  # Exports: the table's entry point alone (kernels.map), so no other library binds to its code.
  exports=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort | tr '\n' ' ')
  if [ "$exports" != "oaconv_kernels_$set " ]; then echo "FAIL: $lib exports: $exports"; fail=1; fi
  # What runs at load time: the static constructors (_GLOBAL__sub_I_*) and the toolchain's
  # frame_dummy, one .init_array entry each; the constructors must be free of AVX.
  constructors=$(nm "$lib" | grep -c ' _GLOBAL__sub_I' || true)
  init_bytes=$((16#$(readelf -SW "$lib" | awk '$2 == ".init_array" {print $6}')))
  if [ "$((init_bytes / 8))" != "$((constructors + 1))" ]; then
    echo "FAIL: $lib: .init_array has $((init_bytes / 8)) entries, expected $constructors constructors + frame_dummy"; fail=1
  fi
  load_vex=$(objdump -d --no-show-raw-insn "$lib" |
             awk '/^[0-9a-f]+ <_GLOBAL__sub_I/ {p = 1; next} /^[0-9a-f]+ </ {p = 0} p' |
             grep -cE '[[:space:]]v[a-z0-9]+ .*%[xyz]mm|%k[0-7]' || true)
  if [ "$load_vex" != 0 ]; then echo "FAIL: $lib runs $load_vex AVX instructions when loaded"; fail=1; fi
done
[ "$fail" = 0 ] && echo "instruction sets: only the kernel libraries use AVX2/AVX-512, each its own set"
exit "$fail"
