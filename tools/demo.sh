#!/usr/bin/env bash
# `make run`: the demo. Starts a search server on a free port, loads the bundled samples, runs
# `logsift run --once` per source, prints the top and the rare templates, and stops the server.
#
# SERVER (default osmem) picks the server: `osmem` is osmem-server from .venv (in memory, starts
# in half a second, needs no stack: `make venv` installs it from PyPI); any other kind of
# tools/search-server/start (opensearch-2, opensearch-3, elasticsearch-7, elasticsearch-8) is a
# real single-node node from Maven Central jars (needs Java; 5-17 s to start, about 30 s the first
# time a kind is built). The samples are loaded with opensearch-py from .venv either way.
set -euo pipefail
cd "$(dirname "$0")/.."
VPY=${VPY:-.venv/bin/python}
BIN=${LOGSIFT_BIN:-target/release/logsift}
[ -x "$BIN" ] || BIN=target/debug/logsift
SERVER=${SERVER:-osmem}

LOG=$(mktemp -t logsift-demo.XXXXXX)
SERVER_PID=
trap '[ -z "$SERVER_PID" ] || kill -TERM $SERVER_PID 2>/dev/null || true; [ -z "$SERVER_PID" ] || wait $SERVER_PID 2>/dev/null || true; rm -f "$LOG" "$LOG.out"' EXIT
if [ "$SERVER" = osmem ]; then
    OSMEM=$("$VPY" -c 'import osmem_server; print(osmem_server.resolve_binary())')
    "$OSMEM" -addr 127.0.0.1:0 -no-stdin-watch -no-ja -parent-pid $$ > "$LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do grep -q '"url"' "$LOG" 2>/dev/null && break; sleep 0.1; done
    URL=$("$VPY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$LOG")
    WHAT=osmem-server HOW=".venv"
else
    PORT=$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "== starting $SERVER on port $PORT (tools/search-server/start; the first start of a kind builds it)"
    # SIGTERM stops it (a background job of a script ignores SIGINT); its log is shown only on failure.
    tools/search-server/start "$SERVER" "$PORT" > "$LOG.out" 2> "$LOG" &
    SERVER_PID=$!
    until grep -q '^ready ' "$LOG.out" 2>/dev/null; do
        if ! kill -0 $SERVER_PID 2>/dev/null; then
            SERVER_PID=
            echo "== $SERVER did not start; its log:" >&2
            tail -n 30 "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    URL=$(sed -n 's/^ready //p' "$LOG.out")
    WHAT=$SERVER HOW=tools/search-server/start
fi
VERSION=$("$VPY" -c '
import sys
from opensearchpy import OpenSearch
v = OpenSearch(sys.argv[1]).info()["version"]
print(("OpenSearch " if v.get("distribution") == "opensearch" else "Elasticsearch ") + v["number"])' "$URL")
echo "== server: $WHAT ($HOW), answers as $VERSION, at $URL (pid $SERVER_PID)"

echo "== loading samples"
"$VPY" tools/load_samples.py "$URL"

run() { # name index extra-args...
    local name=$1 index=$2; shift 2
    echo "== logsift run --once  (source $name, index $index, on $SERVER)"
    "$BIN" run --once --url "$URL" --index "$index" --source-name "$name" "$@" 2>&1 | grep -v ' INFO ' || true
}
export NO_COLOR=1
run sshd logs-sshd
# Audit messages are made of categorical fields: every combination is its own event (similarity 1).
run audit audit-events --message-template '{service_type} {trace_name} {resource_type} {trace_rating}' --set engine.similarity=1.0
# Audit layouts by preset: exact templates from the `what` fields, who/where/which as params,
# and a rarity score per event (logsift.audit.*).
run cloudtrace cloud-trace --preset cloud-trace
run exchange exchange-audit --preset o365-exchange
for p in "cloud-trace cloud-trace" "exchange-audit o365-exchange"; do
    set -- $p
    echo "== logsift audit rare  (index $1, preset $2): the most unusual events"
    "$BIN" audit rare --url "$URL" --index "$1" --preset "$2" --limit 8 | grep -v '^ *doc ' || true
done
run linux logs-linux
run apache logs-apache

"$VPY" tools/show_clusters.py "$URL"
echo "== stopping the server ($WHAT)"
