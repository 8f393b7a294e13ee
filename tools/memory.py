#!/usr/bin/env python3
"""Peak memory of `logsift cluster --format summary` on growing corpora (python3 stdlib only).

    python3 tools/memory.py --bin target/release/logsift [--shared ../shared] \
        [--lines 1000000,5000000] [--corpus-dir target/bench] [--max-ratio 1.3]

Corpora come from `SHARED/tools/gen_corpus.py --truth SHARED/data/loghub-2k --seed 42` and are
cached in --corpus-dir. Each run's peak resident set size is measured by GNU time
(`/usr/bin/time -f %M`, "Maximum resident set size" of `-v`) when present, else by polling
the child's VmHWM in /proc/PID/status. (A child's ru_maxrss seen from Python is useless here:
it includes the forked Python interpreter's pages from before exec, ~10+ MiB.)
Prints one line per corpus and the ratio of the largest to the smallest; exits 1 when the
ratio exceeds --max-ratio (memory should follow templates, not lines).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def ensure_corpus(shared, corpus_dir, n, seed):
    path = os.path.join(corpus_dir, f"corpus_{n}_seed{seed}.txt")
    if os.path.isfile(path):
        return path
    tool = os.path.join(shared, "tools", "gen_corpus.py")
    truth = os.path.join(shared, "data", "loghub-2k")
    if not os.path.isfile(tool):
        sys.exit(f"memory.py: {tool} not found (pass --shared, or put {path} in place)")
    os.makedirs(corpus_dir, exist_ok=True)
    tmp = path + ".tmp"
    subprocess.run([sys.executable, tool, "--truth", truth, "--lines", str(n), "--seed", str(seed),
                    "--out", tmp], check=True)
    os.replace(tmp, path)
    return path


GNU_TIME = "/usr/bin/time"


def peak_rss_kb(argv):
    """Runs argv with stdout discarded; returns (exit status, peak RSS in KiB, seconds)."""
    start = time.monotonic()
    if os.access(GNU_TIME, os.X_OK):
        with tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as out:
            code = subprocess.run([GNU_TIME, "-o", out.name, "-f", "%M", *argv],
                                  stdout=subprocess.DEVNULL).returncode
            lines = out.read().split()
            kb = int(lines[-1]) if lines else 0
        return code, kb, time.monotonic() - start
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    kb = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        kb = max(kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    return proc.returncode, kb, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/logsift")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--lines", default="1000000,5000000")
    ap.add_argument("--corpus-dir", default="target/bench")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-ratio", type=float, default=1.3)
    args = ap.parse_args()

    sizes = [int(x.replace("_", "")) for x in args.lines.split(",")]
    results = []
    for n in sizes:
        corpus = ensure_corpus(args.shared, args.corpus_dir, n, args.seed)
        argv = [args.bin, "cluster", "--format", "summary", "--quiet", corpus]
        code, kb, secs = peak_rss_kb(argv)
        if code != 0:
            sys.exit(f"memory.py: `{' '.join(argv)}` exited with {code}")
        results.append((n, kb))
        print(f"{n:>10} lines: peak RSS {kb / 1024:8.1f} MiB, {secs:6.1f} s, {n / secs:,.0f} lines/s")
    (n0, kb0), (n1, kb1) = results[0], results[-1]
    ratio = kb1 / kb0
    verdict = "ok" if ratio <= args.max_ratio else "TOO HIGH"
    print(f"peak RSS ratio {n1} / {n0} lines: {ratio:.2f} (bar <= {args.max_ratio}): {verdict}")
    sys.exit(0 if ratio <= args.max_ratio else 1)


if __name__ == "__main__":
    main()
