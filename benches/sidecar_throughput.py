#!/usr/bin/env python3
"""Throughput of `logsift run --once` vs the Python baselines (tools/bench_baseline.py), each on a
fresh osmem-server with the same N documents. Reports wall time and the contender's CPU time
(user+sys of the child process, from wait4). Not a test: figures go into the report.

With --repeat N (default 3) the contenders run in turns, N rounds, and the medians of wall and
CPU time are reported with the ratios of the medians. The load average is printed per round
(the machine may be shared: CPU-time ratios are the figures that count then).

Usage: .venv/bin/python benches/sidecar_throughput.py [--docs 100000] [--repeat 3] [--bin target/release/logsift]
"""
import argparse, csv, json, os, statistics, subprocess, sys, time
from opensearchpy import OpenSearch, helpers
import osmem_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lines():
    out = []
    for s in ["OpenSSH", "Linux", "Apache", "HDFS", "Zookeeper"]:
        p = os.path.join(ROOT, "tests", "data", "loghub-2k", s, f"{s}_2k.log_structured_corrected.csv")
        with open(p, newline="", encoding="utf-8") as f:
            out += [r["Content"] for r in csv.DictReader(f)]
    return out


def start_server():
    p = subprocess.Popen([osmem_server.resolve_binary(), "-addr", "127.0.0.1:0", "-no-stdin-watch", "-no-ja"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = json.loads(p.stdout.readline())["url"]
    return p, url


def load(url, n, msgs):
    es = OpenSearch(url, timeout=300)
    acts = ({"_index": "bench-logs", "_source": {"message": msgs[i % len(msgs)],
             "@timestamp": f"2024-05-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"}} for i in range(n))
    helpers.bulk(es, acts, chunk_size=5000)
    es.indices.refresh(index="bench-logs")
    return es


def measure(cmd):
    """Wall time and the child's own CPU time (user + sys, from wait4)."""
    with open(os.devnull, "wb") as null, open(os.path.join("/tmp", f"bench-{os.getpid()}.err"), "w+b") as err:
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=null, stderr=err, env={**os.environ, "NO_COLOR": "1"})
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed: {err.read()[-2000:].decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "logsift"))
    ap.add_argument("--only", default="python,drain3,logsift")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    ap.add_argument("--set", action="append", default=[], help="extra logsift --set KEY=VALUE")
    a = ap.parse_args()
    msgs = lines()
    py = sys.executable
    contenders = {
        "python": lambda url: [py, os.path.join(ROOT, "tools", "bench_baseline.py"), url, "bench-logs"],
        "drain3": lambda url: [py, os.path.join(ROOT, "tools", "bench_baseline.py"), url, "bench-logs", "--drain3"],
        "logsift": lambda url: [a.bin, "run", "--once", "--url", url, "--index", "bench-logs", "--source-name", "bench"] + [x for kv in a.set for x in ("--set", kv)],
    }
    results = {}  # name -> [(wall, cpu, labelled)]
    for rnd in range(a.repeat):
        print(f"round {rnd + 1}/{a.repeat}  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        for name in a.only.split(","):
            server, url = start_server()
            try:
                es = load(url, a.docs, msgs)
                wall, cpu = measure(contenders[name](url))
                es.indices.refresh(index="bench-logs")
                done = es.count(index="bench-logs", body={"query": {"exists": {"field": "logsift.cluster_id"}}})["count"]
                results.setdefault(name, []).append((wall, cpu, done))
                print(f"  {name:8} docs {a.docs}  labelled {done}  wall {wall:7.2f}s  cpu {cpu:7.2f}s  ({a.docs / wall:,.0f} docs/s)", flush=True)
            finally:
                server.kill()
                server.wait()
    med = {n: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for n, rs in results.items()}
    print(f"medians of {a.repeat} run(s), load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}:")
    for n, (w, c) in med.items():
        print(f"  {n:8} wall {w:7.2f}s  cpu {c:7.2f}s")
    if "logsift" in med and "python" in med:
        lw, lc = med["logsift"]
        pw, pc = med["python"]
        print(f"logsift/python wall {lw / pw:.2f}x (bar <= 1.1), cpu {lc / pc:.2f}x (bar <= 0.33)")
        if "drain3" in med:
            print(f"logsift/drain3 cpu {lc / med['drain3'][1]:.2f}x (bar <= 0.2)")

if __name__ == "__main__":
    main()
