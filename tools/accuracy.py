#!/usr/bin/env python3
"""Template accuracy of `logsift cluster` on the labelled Loghub-2k samples.

Feeds each system's Content column (LineId order) to `logsift cluster --format csv`,
writes predictions as LineId,ClusterId,Template (an outlier gets an id of its own) and
scores them with ../shared/tools/eval.py when present, else with the same metrics here.

    python3 tools/accuracy.py --bin target/release/logsift [--algorithm slct --support 0.5%]
"""
import argparse, csv, os, subprocess, sys, tempfile, collections

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def contents(truth, system):
    path = os.path.join(truth, system, f"{system}_2k.log_structured_corrected.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["LineId"]))
    return rows


def predict(binary, rows, extra):
    text = "".join(r["Content"].replace("\n", " ") + "\n" for r in rows)
    out = subprocess.run([binary, "cluster", "--format", "csv", "--quiet", *extra, "-"],
                         input=text.encode(), capture_output=True, check=True).stdout.decode()
    pred = []
    for i, r in enumerate(csv.DictReader(out.splitlines())):
        cid = r["cluster_id"] or f"outlier-{i+1}"
        pred.append((rows[i]["LineId"], cid, r["template"]))
    return pred


def score(rows, pred):
    """GA, PA, FGA, FTA as defined in ../shared/tools/README.md."""
    truth_groups = collections.defaultdict(set)
    pred_groups = collections.defaultdict(set)
    for i, r in enumerate(rows):
        truth_groups[r["EventTemplate"]].add(i)
        pred_groups[pred[i][1]].add(i)
    truth_of = {i: r["EventTemplate"] for i, r in enumerate(rows)}
    exact = [g for g in pred_groups.values() if g in map(frozenset, truth_groups.values()) or any(g == t for t in truth_groups.values())]
    n = len(rows)
    ga = sum(len(g) for g in exact) / n
    pa = sum(1 for i in range(n) if pred[i][2] == truth_of[i]) / n
    p = len(exact) / len(pred_groups); rc = len(exact) / len(truth_groups)
    fga = 2 * p * rc / (p + rc) if p + rc else 0.0
    tmpl_ok = 0
    for cid, g in pred_groups.items():
        t = pred[next(iter(g))][2]
        if all(truth_of[i] == t for i in g) and g == truth_groups[t]:
            tmpl_ok += 1
    p = tmpl_ok / len(pred_groups); rc = tmpl_ok / len(truth_groups)
    fta = 2 * p * rc / (p + rc) if p + rc else 0.0
    return ga, pa, fga, fta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/logsift"))
    ap.add_argument("--truth", default=None, help="labelled data (default: ../shared/data/loghub-2k, else tests/data/loghub-2k)")
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--out", default=None, help="directory for the prediction CSVs (default: a temporary one)")
    ap.add_argument("extra", nargs="*", help="more arguments for `logsift cluster` (after --)")
    a = ap.parse_args()
    shared = os.path.normpath(os.path.join(ROOT, "..", "shared"))
    truth = a.truth or (os.path.join(shared, "data/loghub-2k") if os.path.isdir(os.path.join(shared, "data/loghub-2k")) else os.path.join(ROOT, "tests/data/loghub-2k"))
    systems = a.datasets.split(",") if a.datasets else sorted(d for d in os.listdir(truth) if os.path.isdir(os.path.join(truth, d)))
    out = a.out or tempfile.mkdtemp(prefix="logsift-acc-")
    os.makedirs(out, exist_ok=True)
    sums = [0.0] * 4
    for s in systems:
        rows = contents(truth, s)
        pred = predict(a.bin, rows, a.extra)
        with open(os.path.join(out, f"{s}.csv"), "w", newline="") as f:
            w = csv.writer(f); w.writerow(["LineId", "ClusterId", "Template"]); w.writerows(pred)
        m = score(rows, pred)
        sums = [x + y for x, y in zip(sums, m)]
        print(f"{s:<10} GA={m[0]:.3f} PA={m[1]:.3f} FGA={m[2]:.3f} FTA={m[3]:.3f}")
    k = len(systems)
    print(f"AVG GA={sums[0]/k:.3f} PA={sums[1]/k:.3f} FGA={sums[2]/k:.3f} FTA={sums[3]/k:.3f} n={k}")
    ev = os.path.join(shared, "tools/eval.py")
    if os.path.exists(ev) and not a.truth:
        print("-- ../shared/tools/eval.py:")
        sys.stdout.flush()
        subprocess.run([sys.executable, ev, "--truth", truth, "--pred", out, "--datasets", ",".join(systems)], check=True)


if __name__ == "__main__":
    main()
