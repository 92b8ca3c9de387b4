#!/usr/bin/env bash
# Data-parallel `oaconv train` as separate processes on this machine (loopback only): --nproc and
# explicit ranks over TCP give one process's weights; Ctrl-C and --resume; a resume with another
# world size, a rank that dies, one that never joins and a port in use end with clear errors
# within the timeout.
set -uo pipefail
oaconv="$1"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_error() {  # expected message, then the arguments
  local expected="$1" out
  shift
  if out="$("$oaconv" "$@" 2>&1)"; then fail "'$*' should fail"; fi
  echo "$out" | grep -qF -- "$expected" || fail "'$*': expected '$expected' in: $out"
}
free_port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
# Weights of two checkpoints (through `oaconv export` and TorchScript) agree within 1e-5.
same_weights() {
  "$oaconv" export --checkpoint "$1" --out "$1.pt" > /dev/null || fail "export $1"
  "$oaconv" export --checkpoint "$2" --out "$2.pt" > /dev/null || fail "export $2"
  /usr/bin/python3 - "$1.pt" "$2.pt" <<'EOF' || fail "weights of $1 and $2 differ"
import sys, torch
a, b = (torch.jit.load(p) for p in sys.argv[1:3])
for (name, x), (_, y) in zip(list(a.named_parameters()) + list(a.named_buffers()),
                             list(b.named_parameters()) + list(b.named_buffers())):
    d = (x.double() - y.double()).abs().max().item()
    assert d <= 1e-5, f"{name}: max difference {d}"
EOF
}
common=(--preset small --widths 6,8 --kernels 3,5 --image-size 32 --train-count 96 --val-count 40 --epochs 2
        --batch-size 16 --difficulty easy --optimizer sgd --lr 0.05)
tiny=("${common[@]}" --algorithm direct --hard-val-count 20)

# One process with the global batch, then two ranks started by --nproc (a FileStore rendezvous).
out="$("$oaconv" train "${tiny[@]}" --threads 1 --checkpoint "$work/one.ckpt" --json "$work/one.json" 2>&1)" ||
  fail "single process: $out"
out="$("$oaconv" train "${tiny[@]}" --nproc 2 --checkpoint "$work/two.ckpt" --json "$work/two.json" 2>&1)" ||
  fail "--nproc 2: $out"
echo "$out" | grep -q "data-parallel: 2 processes joined" || fail "no data-parallel line: $out"
[ "$(echo "$out" | grep -c "^epoch 2/2")" -eq 1 ] || fail "rank 1 printed too (or nobody did): $out"
same_weights "$work/one.ckpt" "$work/two.ckpt"
/usr/bin/python3 - "$work/one.json" "$work/two.json" <<'EOF' || fail "metrics differ: $(cat "$work/two.json")"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["processes"] == 2 and a["processes"] == 1
for x, y in zip(a["epochs"], b["epochs"]):
    assert abs(x["train_loss"] - y["train_loss"]) < 1e-5, (x, y)
    assert abs(x["val_loss"] - y["val_loss"]) < 1e-5, (x, y)
    assert x["val_accuracy"] == y["val_accuracy"], (x, y)
assert a["confusion"] == b["confusion"]
assert abs(a["hard_split"]["val_loss"] - b["hard_split"]["val_loss"]) < 1e-5
EOF

# compare: every algorithm's run is data-parallel, with one process's losses.
compare=(compare --algorithms direct,aten "${common[@]}")
"$oaconv" "${compare[@]}" --threads 1 --json "$work/c1.json" > /dev/null 2>&1 || fail "compare, one process"
out="$("$oaconv" "${compare[@]}" --nproc 2 --json "$work/c2.json" 2>&1)" || fail "compare --nproc 2: $out"
echo "$out" | grep -q "2 processes x 1 threads" || fail "compare does not say it ran 2 processes: $out"
/usr/bin/python3 - "$work/c1.json" "$work/c2.json" <<'EOF' || fail "compare metrics differ: $(cat "$work/c2.json")"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["processes"] == 2
for ra, rb in zip(a["runs"], b["runs"]):
    for x, y in zip(ra["epochs"], rb["epochs"]):
        assert abs(x["train_loss"] - y["train_loss"]) < 1e-5 and abs(x["val_loss"] - y["val_loss"]) < 1e-5, (x, y)
EOF

# The same run as two explicitly started ranks meeting over TCP; fresh data every epoch.
port="$(free_port)"
"$oaconv" train "${tiny[@]}" --fresh-data --threads 1 --world-size 2 --rank 1 --init-method "tcp://127.0.0.1:$port" \
  > "$work/rank1.log" 2>&1 &
pids+=($!)
out="$("$oaconv" train "${tiny[@]}" --fresh-data --threads 1 --world-size 2 --rank 0 \
  --init-method "tcp://127.0.0.1:$port" --checkpoint "$work/tcp.ckpt" 2>&1)" || fail "rank 0 over TCP: $out"
wait "${pids[-1]}" || fail "rank 1 over TCP: $(cat "$work/rank1.log")"
"$oaconv" train "${tiny[@]}" --fresh-data --threads 1 --checkpoint "$work/fresh.ckpt" > /dev/null 2>&1 ||
  fail "single process, fresh data"
same_weights "$work/fresh.ckpt" "$work/tcp.ckpt"

# Ctrl-C reaches both ranks; they stop at the same step, rank 0 saves, and --resume (rank 0 reads
# the checkpoint and sends it to rank 1) ends where an uninterrupted run ends.
long=(--preset small --widths 6,8 --kernels 3,5 --image-size 32 --train-count 1600 --val-count 40 --epochs 3
      --batch-size 16 --difficulty easy --algorithm direct --optimizer sgd --lr 0.05 --nproc 2)
"$oaconv" train "${long[@]}" --checkpoint "$work/straight.ckpt" > /dev/null 2>&1 || fail "uninterrupted 2-rank run"
"$oaconv" train "${long[@]}" --checkpoint "$work/int.ckpt" > "$work/int.log" 2>&1 &
launcher=$!
pids+=("$launcher")
for _ in $(seq 1200); do [ -s "$work/int.ckpt" ] && break; sleep 0.05; done  # epoch 1 done
sleep 0.1
kill -INT $(pgrep -P "$launcher") 2>/dev/null
wait "$launcher"
status=$?
[ "$status" -eq 130 ] || fail "Ctrl-C should end the ranks with 130, got $status: $(cat "$work/int.log")"
grep -q "interrupted at epoch 2" "$work/int.log" || fail "not interrupted in epoch 2: $(cat "$work/int.log")"
out="$("$oaconv" train "${long[@]}" --checkpoint "$work/int.ckpt" --resume 2>&1)" || fail "--resume: $out"
echo "$out" | grep -q "resumed from" || fail "no resume line: $out"
same_weights "$work/straight.ckpt" "$work/int.ckpt"
expect_error "was written by a data-parallel run of 2 process(es), and this run has 1: resume it with --world-size 2" \
  train "${long[@]/--nproc/--threads}" --checkpoint "$work/int.ckpt" --resume

# A rank that dies (SIGKILL) or hangs (SIGSTOP) mid-run: rank 0 stops with the reason, never
# hangs itself. Arguments: the signal, the timeout (s), the longest rank 0 may take (s), the
# error it must print.
rank_1_fails() {
  local signal="$1" timeout="$2" limit="$3" expected="$4" port log="$work/rank0_$1.log"
  port="$(free_port)"
  local run=(train --preset small --widths 6,8 --kernels 3,5 --image-size 32 --train-count 4000 --val-count 40
             --epochs 50 --batch-size 16 --algorithm direct --threads 1 --world-size 2
             --init-method "tcp://127.0.0.1:$port" --timeout "$timeout")
  "$oaconv" "${run[@]}" --rank 0 > "$log" 2>&1 &
  local rank0=$!
  pids+=("$rank0")
  "$oaconv" "${run[@]}" --rank 1 > /dev/null 2>&1 &
  local rank1=$!
  pids+=("$rank1")
  for _ in $(seq 1200); do grep -q "^model:" "$log" && break; sleep 0.05; done
  sleep 0.5
  kill "-$signal" "$rank1"
  local start=$SECONDS
  wait "$rank0" && fail "rank 0 succeeded after rank 1 got SIG$signal"
  (( SECONDS - start <= limit )) || fail "rank 0 took $((SECONDS - start)) s to stop after rank 1 got SIG$signal"
  grep -q "$expected" "$log" || fail "no clear error after SIG$signal: $(cat "$log")"
  kill -9 "$rank1" 2>/dev/null
}
rank_1_fails KILL 5 15 "failed on rank 0 of 2"
rank_1_fails STOP 3 13 "did not answer within 3 s"

# A rank that never joins, a port already in use, and bad combinations.
start=$SECONDS
expect_error "rank 0 of 2 could not join the data-parallel group at file://$work/alone" \
  train "${tiny[@]}" --world-size 2 --rank 0 --init-method "file://$work/alone" --timeout 2
(( SECONDS - start <= 12 )) || fail "a missing rank took $((SECONDS - start)) s to report"
/usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)" \
  > "$work/port" &
pids+=($!)
disown  # ended by the cleanup, without the shell reporting it
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
expect_error "the port is already in use" train "${tiny[@]}" --world-size 2 --rank 0 \
  --init-method "tcp://127.0.0.1:$(cat "$work/port")" --timeout 5
expect_error "--nproc starts the ranks itself" train "${tiny[@]}" --nproc 2 --rank 1
expect_error "--batch-size 15 must be a multiple of --nproc 2" train "${tiny[@]/16/15}" --nproc 2
port="$(free_port)"
expect_error "batch size 15 must be a multiple of the number of processes (2)" train "${tiny[@]/16/15}" --threads 1 \
  --world-size 2 --rank 0 --init-method "tcp://127.0.0.1:$port" --timeout 5 &
pids+=($!)
expect_error "batch size 15 must be a multiple of the number of processes (2)" train "${tiny[@]/16/15}" --threads 1 \
  --world-size 2 --rank 1 --init-method "tcp://127.0.0.1:$port" --timeout 5
wait "${pids[-1]}" || fail "rank 0 with batch 15"
# Ranks end with their launcher: none is left running when it is killed.
"$oaconv" train "${long[@]}" > /dev/null 2>&1 &
launcher=$!
for _ in $(seq 600); do [ -n "$(pgrep -P "$launcher")" ] && break; sleep 0.05; done
ranks="$(pgrep -P "$launcher")"
[ -n "$ranks" ] || fail "no ranks started"
kill -9 "$launcher"
wait "$launcher" 2>/dev/null
for _ in $(seq 100); do
  alive=""
  for r in $ranks; do  # a zombie (ended, not yet reaped by its new parent) counts as ended
    state="$(ps -o stat= -p "$r" 2>/dev/null)"
    [ -n "$state" ] && [ "${state:0:1}" != Z ] && alive="$r"
  done
  [ -z "$alive" ] && break
  sleep 0.1
done
[ -z "$alive" ] || fail "rank process $alive outlived its killed launcher by 10 s"
expect_error "--world-size 2 needs --init-method" train "${tiny[@]}" --world-size 2
expect_error "--init-method 'udp://x:1' is not supported" train "${tiny[@]}" --world-size 2 --init-method udp://x:1
echo "1 passed, 0 failed"
