#!/usr/bin/env bash
# `make run`: the embedded default. Starts osmem-server (from .venv) on a free port, loads the
# bundled samples, runs `logsift run --once` per source, prints the top and the rare templates,
# and stops the server. Needs no stack: `make venv` installs the server from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
VPY=${VPY:-.venv/bin/python}
BIN=${LOGSIFT_BIN:-target/release/logsift}
[ -x "$BIN" ] || BIN=target/debug/logsift

OSMEM=$("$VPY" -c 'import osmem_server; print(osmem_server.resolve_binary())')
LOG=$(mktemp -t logsift-demo.XXXXXX)
"$OSMEM" -addr 127.0.0.1:0 -no-stdin-watch -no-ja -parent-pid $$ > "$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q '"url"' "$LOG" 2>/dev/null && break; sleep 0.1; done
URL=$("$VPY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$LOG")
echo "== osmem-server at $URL (pid $SERVER_PID)"

echo "== loading samples"
"$VPY" tools/load_samples.py "$URL"

run() { # name index extra-args...
    local name=$1 index=$2; shift 2
    echo "== logsift run --once  (source $name, index $index)"
    "$BIN" run --once --url "$URL" --index "$index" --source-name "$name" "$@" 2>&1 | grep -v ' INFO ' || true
}
export NO_COLOR=1
run sshd logs-sshd --strip-syslog-header
# Audit messages are made of categorical fields: every combination is its own event (similarity 1).
run audit audit-events --message-template '{service_type} {trace_name} {resource_type} {trace_rating}' --set engine.similarity=1.0
run linux logs-linux
run apache logs-apache

"$VPY" tools/show_clusters.py "$URL"
echo "== stopping the server"
