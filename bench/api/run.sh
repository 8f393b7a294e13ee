#!/usr/bin/env bash
# Benchmark of POST /v1/classify: starts `logsift serve` (release build) on a free loopback port,
# drives it with wrk (16 connections, 2 threads, realistic message mix), prints requests/s and
# latency percentiles, stops the server. Usage: bench/api/run.sh [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-20s}
CONNS=${2:-16}
BIN=${BIN:-target/release/logsift}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN missing: cargo build --release" >&2; exit 1; }
python3 bench/api/make_bodies.py tests/data/loghub-2k target/bench-api/bodies.ndjson
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --listen "127.0.0.1:$PORT" 2>target/bench-api/serve.log &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 0.1; done
# Warm-up: the miner learns the mix's templates, as a running sidecar would have.
BODIES=target/bench-api/bodies.ndjson wrk -t2 -c"$CONNS" -d3s -s bench/api/classify.lua "http://127.0.0.1:$PORT" >/dev/null
cpu() { awk '{print $14 + $15}' /proc/$PID/stat; }   # server utime+stime, clock ticks
TICKS=$(getconf CLK_TCK)
C0=$(cpu)
echo "wrk -t2 -c$CONNS -d$DURATION --latency -s bench/api/classify.lua (POST /v1/classify, learn=true)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
BODIES=target/bench-api/bodies.ndjson wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/api/classify.lua "http://127.0.0.1:$PORT" | tee target/bench-api/wrk.out
C1=$(cpu)
N=$(awk '/requests in/ {print $1}' target/bench-api/wrk.out)
awk -v c="$((C1 - C0))" -v t="$TICKS" -v n="$N" 'BEGIN { printf "server CPU: %.1f s for %d requests = %.1f us/request (capacity of one core: %.0f req/s)\n", c/t, n, 1e6*c/t/n, n/(c/t) }'
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^logsift_(clusters|api_classified_total)' || true
