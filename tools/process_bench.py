#!/usr/bin/env python3
"""The whole-process bar: `logsift cluster` against the `drain3` crate as a process of its own
(crates/logsift-engine/examples/drain3_cluster.rs), on the same corpus (python3 stdlib only).

    cargo build --release --bin logsift
    cargo build --release -p logsift-engine --example drain3_cluster
    python3 tools/process_bench.py --corpus /tmp/corpus_1M.txt [--rounds 5]

Each round runs both processes once, alternating which goes first, with their output sent to
/dev/null. Wall time is measured around each run and CPU time (user + system) from the
child's own resource usage (wait4), so the interpreter's time is not counted. Prints each
round, the medians, their ratios (drain3 / logsift: how many times faster logsift is) and the
load average before and after.
"""
import argparse
import os
import statistics
import subprocess
import time


def run(cmd):
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"process_bench.py: {' '.join(cmd)} exited with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--bin", default="target/release/logsift")
    ap.add_argument("--peer", default="target/release/examples/drain3_cluster")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    contenders = {
        "logsift cluster": [a.bin, "cluster", "-q", "--format", "summary", a.corpus],
        "drain3 crate": [a.peer, a.corpus],
    }
    names = list(contenders)
    results = {n: [] for n in names}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for r in range(a.rounds):
        order = names if r % 2 == 0 else names[::-1]
        line = []
        for n in order:
            wall, cpu = run(contenders[n])
            results[n].append((wall, cpu))
            line.append(f"{n} {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"round {r + 1}: " + "; ".join(line))
    med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in results.items()}
    for n in names:
        print(f"median {n}: {med[n][0]:.3f} s wall, {med[n][1]:.3f} s CPU")
    ours, theirs = med[names[0]], med[names[1]]
    print(f"ratio drain3 crate / logsift cluster: {theirs[0] / ours[0]:.1f}x wall, {theirs[1] / ours[1]:.1f}x CPU "
          f"(medians of {a.rounds} rounds)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
