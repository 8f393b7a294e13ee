#!/usr/bin/env python3
"""Writes the request bodies for the API benchmark: one JSON body {"message": ...} per line, the
Content column of every bundled Loghub-2k system (20,000 real messages), interleaved round-robin
across systems so consecutive requests hit different templates."""
import csv, glob, json, os, sys

root = sys.argv[1] if len(sys.argv) > 1 else "tests/data/loghub-2k"
out = sys.argv[2] if len(sys.argv) > 2 else "target/bench-api/bodies.ndjson"
systems = []
for path in sorted(glob.glob(os.path.join(root, "*", "*_structured_corrected.csv"))):
    with open(path, newline="", encoding="utf-8") as f:
        systems.append([row["Content"] for row in csv.DictReader(f)])
if not systems:
    sys.exit(f"no *_structured_corrected.csv under {root}")
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
n = 0
with open(out, "w", encoding="utf-8") as f:
    for i in range(max(len(s) for s in systems)):
        for s in systems:
            if i < len(s):
                f.write(json.dumps({"message": s[i]}) + "\n")
                n += 1
print(f"{n} bodies from {len(systems)} systems -> {out}", file=sys.stderr)
