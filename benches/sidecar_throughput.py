#!/usr/bin/env python3
"""Throughput of `logsift run --once` vs the Python baselines (tools/bench_baseline.py), each
facing the same N unlabelled documents on a fresh server. Reports wall time and the contender's
CPU time (user+sys of the child process, from wait4), and the server's own CPU time over the
same interval (from /proc). Not a test: figures go into the report.

--server KIND (default osmem): `osmem` is osmem-server from the venv, started directly (the
earlier figures in BENCHMARKS.md); any other kind of tools/search-server/start (opensearch-2,
opensearch-3, elasticsearch-7, elasticsearch-8) is a real single-node server started with it on
a free port (its `ready` line is read; SIGTERM stops it). By default (--fresh server) every
contender of every round gets a server of its own; --fresh index keeps one server for the whole
run and deletes every (non-system) index before each contender instead (quicker, but the JVM
then carries what the previous contender left: warm code, garbage, merges).

The load is refreshed and counted (all N visible) before the timed part, and the labelled count
is taken after another refresh (real servers are near-real-time).

With --repeat N (default 3) the contenders run in turns, N rounds (the order rotates by one
contender per round), and the medians of wall and CPU time are reported with the ratios of the
medians. The load average is printed per round (the machine may be shared: CPU-time ratios are
the figures that count then).

Usage: .venv/bin/python benches/sidecar_throughput.py [--server osmem] [--docs 100000] [--repeat 3]
           [--fresh server|index] [--only python,drain3,logsift] [--bin target/release/logsift]
"""
import argparse, csv, json, os, socket, statistics, subprocess, sys, tempfile, time
from opensearchpy import OpenSearch, helpers
import osmem_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START = os.path.join(ROOT, "tools", "search-server", "start")
KINDS = ["osmem", "opensearch-2", "opensearch-3", "elasticsearch-7", "elasticsearch-8"]
INDEX = "bench-logs"


def lines():
    out = []
    for s in ["OpenSSH", "Linux", "Apache", "HDFS", "Zookeeper"]:
        p = os.path.join(ROOT, "tests", "data", "loghub-2k", s, f"{s}_2k.log_structured_corrected.csv")
        with open(p, newline="", encoding="utf-8") as f:
            out += [r["Content"] for r in csv.DictReader(f)]
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    """user + sys seconds of a live process (fields 14 and 15 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Server:
    """osmem-server started directly, or a real server through tools/search-server/start."""

    def __init__(self, kind):
        self.kind = kind
        if kind == "osmem":
            self.proc = subprocess.Popen([osmem_server.resolve_binary(), "-addr", "127.0.0.1:0", "-no-stdin-watch", "-no-ja"],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.url = json.loads(self.proc.stdout.readline())["url"]
            self.pid = self.proc.pid
            return
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([START, kind, str(free_port())], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # "ready http://127.0.0.1:PORT", or EOF when it failed
        if not line.startswith("ready "):
            rc = self.proc.wait()
            self.log.seek(0)
            sys.exit(f"{kind} did not start (exit {rc}):\n{self.log.read()[-3000:].decode(errors='replace')}")
        self.url = line.split()[1]
        # The JVM is the start script's one child once it is ready (its CPU is the server's).
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                kids = [int(k) for k in f.read().split()]
            self.pid = next(k for k in kids if open(f"/proc/{k}/comm").read().strip() == "java")
        except (OSError, StopIteration, ValueError):
            self.pid = None

    def cpu(self):
        return proc_cpu(self.pid) if self.pid else float("nan")

    def clear(self, es):
        """Delete every index but the system ones (for --fresh index)."""
        for row in es.cat.indices(format="json"):
            if not row["index"].startswith("."):
                es.indices.delete(index=row["index"])

    def stop(self):
        if self.kind == "osmem":
            self.proc.kill()
            self.proc.wait()
            return
        self.proc.terminate()  # SIGTERM: the node closes, its temporary directory goes
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(url, n, msgs):
    es = OpenSearch(url, timeout=300)
    acts = ({"_index": INDEX, "_source": {"message": msgs[i % len(msgs)],
             "@timestamp": f"2024-05-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"}} for i in range(n))
    helpers.bulk(es, acts, chunk_size=5000)
    es.indices.refresh(index=INDEX)
    # Before the timed part: every document searchable and the index allocated.
    health = es.cluster.health(index=INDEX, params={"wait_for_status": "yellow"})  # the server's 30 s wait
    if health.get("timed_out"):
        sys.exit(f"{INDEX} is not allocated: {health}")
    seen = es.count(index=INDEX)["count"]
    if seen != n:
        sys.exit(f"after the load and a refresh the server counts {seen} documents, not {n}")
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


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="osmem", choices=KINDS, help="osmem, or a kind of tools/search-server/start")
    ap.add_argument("--fresh", default="server", choices=["server", "index"],
                    help="a fresh server per contender per round (default), or one server and fresh indices")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "logsift"))
    ap.add_argument("--only", default="python,drain3,logsift")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    ap.add_argument("--set", action="append", default=[], help="extra logsift --set KEY=VALUE")
    a = ap.parse_args()
    msgs = lines()
    py = sys.executable
    contenders = {
        "python": lambda url: [py, os.path.join(ROOT, "tools", "bench_baseline.py"), url, INDEX],
        "drain3": lambda url: [py, os.path.join(ROOT, "tools", "bench_baseline.py"), url, INDEX, "--drain3"],
        "logsift": lambda url: [a.bin, "run", "--once", "--url", url, "--index", INDEX, "--source-name", "bench"] + [x for kv in a.set for x in ("--set", kv)],
    }
    names = a.only.split(",")
    for n in names:
        if n not in contenders:
            sys.exit(f"unknown contender {n!r} (python, drain3, logsift)")
    results = {}  # name -> [(wall, cpu, server cpu, labelled)]
    shared = None  # the one server of --fresh index
    described = False
    try:
        for rnd in range(a.repeat):
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            print(f"round {rnd + 1}/{a.repeat}  load average {loadavg()}", flush=True)
            for name in order:
                if a.fresh == "index":
                    if shared is None:
                        shared = Server(a.server)
                    server = shared
                    server.clear(OpenSearch(server.url, timeout=300))
                else:
                    server = Server(a.server)
                try:
                    es = load(server.url, a.docs, msgs)
                    if not described:
                        v = es.info()["version"]
                        print(f"server {a.server}: {v.get('distribution', 'elasticsearch')} {v['number']} "
                              f"({'fresh server' if a.fresh == 'server' else 'one server, fresh indices'} per contender)", flush=True)
                        described = True
                    s0 = server.cpu()
                    wall, cpu = measure(contenders[name](server.url))
                    scpu = server.cpu() - s0
                    es.indices.refresh(index=INDEX)
                    done = es.count(index=INDEX, body={"query": {"exists": {"field": "logsift.cluster_id"}}})["count"]
                    results.setdefault(name, []).append((wall, cpu, scpu, done))
                    print(f"  {name:8} docs {a.docs}  labelled {done}  wall {wall:7.2f}s  cpu {cpu:7.2f}s  "
                          f"server cpu {scpu:7.2f}s  ({a.docs / wall:,.0f} docs/s)", flush=True)
                    if done != a.docs:
                        print(f"  WARNING: {name} left {a.docs - done} of {a.docs} documents unlabelled", flush=True)
                finally:
                    if server is not shared:
                        server.stop()
    finally:
        if shared is not None:
            shared.stop()
    med = {n: tuple(statistics.median(r[i] for r in rs) for i in range(3)) for n, rs in results.items()}
    print(f"medians of {a.repeat} run(s) on {a.server}, load average now {loadavg()}:")
    for n, (w, c, s) in med.items():
        print(f"  {n:8} wall {w:7.2f}s  cpu {c:7.2f}s  server cpu {s:7.2f}s")
    if "logsift" in med and "python" in med:
        lw, lc, _ = med["logsift"]
        pw, pc, _ = med["python"]
        if a.server == "osmem":
            print(f"logsift/python wall {lw / pw:.2f}x (bar <= 1.1), cpu {lc / pc:.2f}x (bar <= 0.33)")
            if "drain3" in med:
                print(f"logsift/drain3 cpu {lc / med['drain3'][1]:.2f}x (bar <= 0.2)")
        else:
            print(f"logsift/python wall {lw / pw:.2f}x, cpu {lc / pc:.2f}x "
                  f"(issue 12 bar, 100k on opensearch-2: wall <= 1.0, cpu <= 0.2)")
            if "drain3" in med:
                print(f"logsift/drain3 wall {lw / med['drain3'][0]:.2f}x, cpu {lc / med['drain3'][1]:.2f}x")


if __name__ == "__main__":
    main()
