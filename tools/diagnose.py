#!/usr/bin/env python3
"""Shows where `logsift cluster` disagrees with the labels of one Loghub-2k system.

    python3 tools/diagnose.py SYSTEM [--bin target/release/logsift] [-- extra cluster args]
"""
import argparse, collections, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy import contents, predict, ROOT

ap = argparse.ArgumentParser()
ap.add_argument("system")
ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/logsift"))
ap.add_argument("--truth", default=os.path.join(ROOT, "tests/data/loghub-2k"))
ap.add_argument("--pa", action="store_true", help="also list template-string mismatches")
ap.add_argument("extra", nargs="*")
a = ap.parse_args()
rows = contents(a.truth, a.system)
pred = predict(a.bin, rows, a.extra)
by_truth = collections.defaultdict(list)
by_pred = collections.defaultdict(list)
for i, r in enumerate(rows):
    by_truth[r["EventTemplate"]].append(i)
    by_pred[pred[i][1]].append(i)
for t, idx in sorted(by_truth.items(), key=lambda kv: -len(kv[1])):
    groups = collections.Counter(pred[i][1] for i in idx)
    ok = len(groups) == 1 and len(by_pred[next(iter(groups))]) == len(idx)
    if not ok:
        print(f"\n== truth ({len(idx)}): {t}")
        for g, n in groups.most_common(6):
            others = len(by_pred[g]) - n
            i0 = next(i for i in idx if pred[i][1] == g)
            print(f"   pred {g} ({n}, +{others} other): {pred[i0][2]}")
            print(f"        e.g. {rows[i0]['Content'][:160]}")
    elif a.pa:
        i0 = idx[0]
        if pred[i0][2] != t:
            print(f"\n-- PA ({len(idx)}): truth {t}\n              pred  {pred[i0][2]}")
