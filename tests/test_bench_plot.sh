#!/usr/bin/env bash
# oaconv_bench -> bench/plot.py end to end: the smoke sweep with repetitions writes Google
# Benchmark JSON that plot.py turns into the three figures and auto's standing; plot.py takes the
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
for f in vs_image_size vs_kernel_size heatmap; do
  [ -s "$work/smoke_$f.png" ] || fail "no smoke_$f.png"
done
echo "$out" | grep -q "times are medians of 3 repetition(s) per row" || fail "repetitions line: $out"
echo "$out" | grep -Eq "forward\+backward over 2 shapes: auto is at worst [0-9.]+x the best single algorithm" ||
  fail "summary line: $out"
for algo in aten fft oaa auto direct; do
  "$py" - "$work/smoke.json" "$algo" <<'PY' || fail "JSON has no 3 repetitions of $algo on both shapes"
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b.get("run_type") == "iteration" and b["name"].split("/")[3] == sys.argv[2]]
assert len(runs) == 6, len(runs)
assert all("cold_ms" in b and b["real_time"] > 0 for b in runs)
PY
done

# Median, not mean or last: repetitions 1, 9, 2 ms of aten and 3, 3, 3 of auto give auto/aten 1.50.
"$py" - "$work/made.json" <<'PY' || fail "writing the hand-made file"
import json, sys
rows = []
for algo, times in (("aten", [1.0, 9.0, 2.0]), ("fft", [4.0, 4.0, 4.0]), ("auto", [3.0, 3.0, 3.0])):
    for i, t in enumerate(times):
        rows.append({"name": "image_kernel/fwd_bwd/H16_k3_N128_C16to16_g1/%s/real_time" % algo,
                     "run_type": "iteration", "repetition_index": i, "real_time": t, "time_unit": "ms"})
rows.append({"name": "image_kernel/fwd_bwd/H16_k3_N128_C16to16_g1/aten/real_time_mean", "run_type": "aggregate",
             "aggregate_name": "mean", "real_time": 4.0, "time_unit": "ms"})
json.dump({"context": {"threads": "2"}, "benchmarks": rows}, open(sys.argv[1], "w"))
PY
out="$("$py" "$plot" "$work/made.json" "$work/made")" || fail "plot.py on the hand-made file: $out"
echo "$out" | grep -Eq "fwd_bwd +H16 k3 N128 C16->16 g1 +2\.000 +2\.000 aten +3\.000 +1\.50 +1\.50  <-- misses a target" ||
  fail "median row: $out"
echo "PASS"
