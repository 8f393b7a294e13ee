#!/usr/bin/env bash
# Time `logsift top` and `logsift compare` on 100k labelled OpenSSH documents over two days
# (osmem-server from .venv, release binary): bench/range/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$(.venv/bin/python -c 'import osmem_server; print(osmem_server.resolve_binary())')
$B -addr 127.0.0.1:${PORT:-19333} -no-stdin-watch -no-ja > /tmp/osm2.out 2>&1 &
OPID=$!
sleep 1
python3 - <<'P' > /tmp/bulk100k.ndjson
import csv,json
rows=list(csv.DictReader(open('tests/data/loghub-2k/OpenSSH/OpenSSH_2k.log_structured_corrected.csv')))
for i in range(100000):
    r=rows[i%2000]
    s=i*1.728  # two days
    d=10+int(s//86400); s=int(s%86400)
    print(json.dumps({"index":{"_index":"ssh-logs"}}))
    print(json.dumps({"message":r["Content"],"@timestamp":f"2024-12-{d}T{s//3600:02d}:{(s//60)%60:02d}:{s%60:02d}Z"}))
P
split -l 20000 /tmp/bulk100k.ndjson /tmp/bulk100k.part.
for f in /tmp/bulk100k.part.*; do curl -s -XPOST 'localhost:${PORT:-19333}/_bulk' -H 'content-type: application/x-ndjson' --data-binary @$f > /dev/null; done
curl -s -XPOST localhost:${PORT:-19333}/_refresh > /dev/null
A="--url http://127.0.0.1:${PORT:-19333} --index ssh-logs --source-name sshd"
target/release/logsift run --once $A 2>&1 | tail -2
for i in 1 2 3; do /usr/bin/time -f "top wall %e s" target/release/logsift top $A --since 2024-12-11 --until 2024-12-12 --limit 5 > /dev/null; done
for i in 1 2 3; do /usr/bin/time -f "compare wall %e s" target/release/logsift compare $A --baseline 2024-12-10..2024-12-11 --target 2024-12-11..2024-12-12 >/dev/null 2>&1 ; done
/usr/bin/time -f "compare wall %e s" target/release/logsift compare $A --baseline 2024-12-10..2024-12-11 --target 2024-12-11..2024-12-12 2>&1 | grep -E "documents|templates compared|wall"
kill $OPID
rm -f /tmp/bulk100k.*
