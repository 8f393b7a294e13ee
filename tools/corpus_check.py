#!/usr/bin/env python3
"""Checks `logsift cluster --format csv` output on a gen_corpus.py corpus against its labels:
templates found vs true events, grouping accuracy (GA), and the worst over-split events.

    python3 tools/corpus_check.py PRED.csv LABELS.csv
"""
import collections, csv, sys

pred_path, labels_path = sys.argv[1], sys.argv[2]
with open(pred_path, newline="") as f:
    pred = [r["cluster_id"] for r in csv.DictReader(f)]
with open(labels_path, newline="") as f:
    truth = [r["EventId"] for r in csv.DictReader(f)]
assert len(pred) == len(truth), (len(pred), len(truth))
tg = collections.defaultdict(list); pg = collections.defaultdict(list)
for i, (p, t) in enumerate(zip(pred, truth)):
    tg[t].append(i); pg[p].append(i)
ok = 0
for t, idx in tg.items():
    ps = {pred[i] for i in idx}
    if len(ps) == 1 and len(pg[next(iter(ps))]) == len(idx):
        ok += len(idx)
print(f"lines={len(pred)} true_events={len(tg)} templates={len(pg)} ratio={len(pg)/len(tg):.2f} GA={ok/len(pred):.4f}")
split = sorted(((len({pred[i] for i in idx}), t) for t, idx in tg.items()), reverse=True)[:int(sys.argv[3]) if len(sys.argv) > 3 else 10]
for n, t in split:
    print(f"  {t}: {n} clusters")
