#!/usr/bin/env bash
# oaconv_bench -> bench/plot.py end to end: the smoke sweep with repetitions writes Google
# Benchmark JSON that plot.py turns into the four figures and auto's standing (the 2-D image x
# kernel rows and one row each of conv1d, conv3d and conv_transpose2d); plot.py takes the
# median of each row's repetitions (checked on a hand-made file where mean, min and last differ).
set -uo pipefail
bench="$1"
plot="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3  # Debian's, with numpy and matplotlib

"$bench" --sweep=smoke --operations=fwd_bwd --benchmark_repetitions=3 --benchmark_out="$work/smoke.json" \
  --benchmark_out_format=json > "$work/bench.log" 2>&1 || fail "oaconv_bench: $(tail -5 "$work/bench.log")"
out="$("$py" "$plot" "$work/smoke.json" "$work/smoke")" || fail "plot.py: $out"
out_smoke="$out"
for f in vs_image_size vs_kernel_size heatmap kinds; do
  [ -s "$work/smoke_$f.png" ] || fail "no smoke_$f.png"
done
echo "$out" | grep -q "times are medians of 3 repetition(s) per row" || fail "repetitions line: $out"
echo "$out" | grep -Eq "forward\+backward: auto meets both targets on [0-5] of 5 shapes; at worst [0-9.]+x the best" ||
  fail "summary line: $out"
[ "$(echo "$out" | grep -c "fwd_bwd .*(rounds)")" = 5 ] || fail "fwd_bwd standing not from the interleaved rounds: $out"
for kind in "conv1d +fwd_bwd +conv1d L256 k33 N2 C4->4 g1 " "conv3d +fwd_bwd +conv3d 8x8x8 k3 N1 C4->4 g1 " \
            "transposed2d +fwd_bwd +conv_transpose2d 8x8 k4 N2 C4->4 g1 s2 "; do
  echo "$out" | grep -Eq "^$kind" || fail "no row '$kind': $out"
done
# scripts/bench keeps the JSON gzipped: plot.py reads that alike.
gzip -c "$work/smoke.json" > "$work/smoke.json.gz"
[ "$("$py" "$plot" "$work/smoke.json.gz" "$work/gz" | tail -1)" = "$(echo "$out" | tail -1)" ] || fail "plot.py on .json.gz"
for algo in aten fft oaa auto direct interleaved; do
  "$py" - "$work/smoke.json" "$algo" <<'PY' || fail "JSON has no 3 repetitions of $algo on both 2-D shapes"
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b.get("run_type") == "iteration" and b["name"].split("/")[3] == sys.argv[2]
        and b["name"].startswith("image_kernel/")]
assert len(runs) == 6, len(runs)
assert all("cold_ms" in b and b["real_time"] > 0 for b in runs)
if sys.argv[2] == "interleaved":  # every algorithm timed in the rounds (none is 3x slower here) or excluded
    for b in runs:  # oaa with fft's one tile (16x16 images) is fft's code, timed once as fft
        assert b.get("oaa_is_fft") == 1 and "oaa_ms" not in b, b
        assert all(a + "_ms" in b or a + "_excluded_ms" in b for a in ("aten", "fft", "auto", "direct")), b
        assert "auto_ms" in b and b.get("label", "").count("/") == 2, b
        assert b["iterations"] == 1 and b["rounds"] == 2, b  # the smoke sweep's 2 rounds, in one call
PY
done

# Median, not mean or last: repetitions 1, 9, 2 ms of aten and 3, 3, 3 of auto give auto/aten 1.50.
# Interleaved rows: the ratio is taken within each repetition, then the median (1.05, 1.02 and an
# outlier 3.0 -> 1.05 against fft; aten excluded from the rounds is compared by its warm time).
"$py" - "$work/made.json" <<'PY' || fail "writing the hand-made file"
import json, sys
rows = []
for algo, times in (("aten", [1.0, 9.0, 2.0]), ("fft", [4.0, 4.0, 4.0]), ("auto", [3.0, 3.0, 3.0])):
    for i, t in enumerate(times):
        rows.append({"name": "image_kernel/fwd_bwd/H16_k3_N128_C16to16_g1/%s/real_time" % algo,
                     "run_type": "iteration", "repetition_index": i, "real_time": t, "time_unit": "ms"})
rows.append({"name": "image_kernel/fwd_bwd/H16_k3_N128_C16to16_g1/aten/real_time_mean", "run_type": "aggregate",
             "aggregate_name": "mean", "real_time": 4.0, "time_unit": "ms"})
for auto, fft in ((2.1, 2.0), (5.1, 5.0), (6.0, 2.0)):
    rows.append({"name": "image_kernel/fwd_bwd/H64_k31_N8_C16to16_g1/interleaved/real_time", "run_type": "iteration",
                 "real_time": 1.0, "time_unit": "ms", "fft_ms": fft, "oaa_ms": fft * 1.2, "auto_ms": auto,
                 "aten_excluded_ms": 600.0, "cold_ms": 200.0, "label": "fft/fft/fft"})
json.dump({"context": {"threads": "2"}, "benchmarks": rows}, open(sys.argv[1], "w"))
PY
out="$("$py" "$plot" "$work/made.json" "$work/made")" || fail "plot.py on the hand-made file: $out"
echo "$out" | grep -Eq "fwd_bwd +H16 k3 N128 C16->16 g1 +2\.000 +2\.000 aten +3\.000 +1\.50 +1\.50  \(rows\)  <-- misses a target" ||
  fail "median row: $out"
echo "$out" | grep -Eq "fwd_bwd +H64 k31 N8 C16->16 g1 +600\.000 +2\.000 fft +5\.100 +1\.05 +0\.01  \(rounds\)  \[auto ran fft/fft/fft x3\]" ||
  fail "interleaved row: $out"
echo "$out" | grep -q "auto meets both targets on 1 of 2 shapes" || fail "count of shapes meeting the targets: $out"

# bench/benchmarks_doc.py (scripts/bench's last step): the smoke run's section written between its
# markers, the rest of the document kept, and a second run replacing the section, not adding one.
doc_writer="$(dirname "$plot")/benchmarks_doc.py"
echo "$out_smoke" > "$work/smoke_summary.txt"
printf '# Benchmarks\nbefore\n<!-- scripts/bench smoke: begin -->\nold\n<!-- scripts/bench smoke: end -->\nafter\n' > "$work/doc.md"
for run in 1 2; do
  "$py" "$doc_writer" "$work/smoke.json.gz" "$work/smoke_summary.txt" "scripts/bench --smoke" 12 "$work/doc.md" > /dev/null ||
    fail "benchmarks_doc.py (run $run)"
done
doc="$(cat "$work/doc.md")"
[ "$(grep -c "scripts/bench smoke: begin" "$work/doc.md")" = 1 ] || fail "section not replaced in place: $doc"
[ "$(grep -c '^| image_kernel | H' "$work/doc.md")" = 2 ] || fail "doc table lacks the two 2-D shapes: $doc"
grep -q "^- SIMD kernels: \(baseline\|avx2\|avx512\) (this CPU" "$work/doc.md" || fail "doc lacks the kernel set: $doc"
grep -q "^- CPU: .*cores" "$work/doc.md" || fail "doc lacks the CPU: $doc"
grep -q "^forward+backward: auto meets both targets" "$work/doc.md" || fail "doc lacks the verdict: $doc"
[ "$(head -2 "$work/doc.md" | tail -1)" = before ] && [ "$(tail -1 "$work/doc.md")" = after ] && ! grep -qx old "$work/doc.md" ||
  fail "text around the section changed: $doc"
echo "PASS"
