#!/usr/bin/env python3
"""Classify latency while the sidecar is busy: `logsift run` (follow mode, API on) labels a
backlog of N documents on a fresh osmem-server while wrk (8 connections, 2 threads, the message
mix of bench/api/classify.lua) posts `/v1/classify` for --busy-secs; then the same wrk run on the
idle sidecar once the backlog is labelled. Prints wrk's latency distribution and non-2xx count
for both. Without wrk (`apt-get install wrk`), 8 Python threads do the posting (their figures
include the interpreter's own waits). Not a test: figures go into BENCHMARKS.md.

Usage: .venv/bin/python bench/api/busy.py [--docs 100000] [--conns 8] [--busy-secs 20] [--bin target/release/logsift]
"""
import re, shutil
import argparse, http.client, json, os, socket, statistics, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benches"))
from sidecar_throughput import lines, load, start_server  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def hammer(port, msgs, stop, out, offset):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = offset
    while not stop.is_set():
        body = json.dumps({"message": msgs[i % len(msgs)]})
        i += 7
        t = time.perf_counter()
        try:
            conn.request("POST", "/v1/classify", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            status = r.status
        except Exception:
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        out.append((time.monotonic(), (time.perf_counter() - t) * 1000.0, status))


def summary(name, samples):
    if not samples:
        return f"  {name:5} no requests"
    lat = sorted(s[1] for s in samples)
    bad = sum(1 for s in samples if not 200 <= s[2] < 300)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return (f"  {name:5} requests {len(lat):7}  p50 {p(0.5):6.2f} ms  p99 {p(0.99):6.2f} ms  "
            f"max {lat[-1]:7.2f} ms  non-2xx {bad}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--idle-secs", type=float, default=5.0)
    ap.add_argument("--busy-secs", type=int, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "logsift"))
    a = ap.parse_args()
    msgs = lines()
    server, url = start_server()
    port = free_port()
    sidecar = None
    try:
        es = load(url, a.docs, msgs)
        cmd = [a.bin, "run", "--url", url, "--index", "bench-logs", "--source-name", "bench",
               "--listen", f"127.0.0.1:{port}"]
        sidecar = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "NO_COLOR": "1", "RUST_LOG": "warn"})
        # Ready when the engine is loaded (the first batch restored or built it).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("POST", "/v1/classify", json.dumps({"message": "probe"}), {"Content-Type": "application/json"})
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        if shutil.which("wrk"):
            return with_wrk(a, port, es, sidecar)
        stop = threading.Event()
        outs = [[] for _ in range(a.conns)]
        threads = [threading.Thread(target=hammer, args=(port, msgs, stop, outs[i], i)) for i in range(a.conns)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        query = {"query": {"bool": {"must_not": {"exists": {"field": "logsift.cluster_id"}}}}}
        while True:
            time.sleep(0.5)
            es.indices.refresh(index="bench-logs")
            left = es.count(index="bench-logs", body=query)["count"]
            if left == 0 or time.monotonic() - t0 > 600:
                break
        busy_end = time.monotonic()
        time.sleep(a.idle_secs)
        stop.set()
        for t in threads:
            t.join()
        samples = [s for o in outs for s in o]
        busy = [s for s in samples if s[0] <= busy_end]
        idle = [s for s in samples if s[0] > busy_end + 0.5]
        print(f"{a.docs} documents labelled in {busy_end - t0:.1f}s while {a.conns} connections classified; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(summary("busy", busy))
        print(summary("idle", idle))
    finally:
        if sidecar:
            sidecar.terminate()
            sidecar.wait(timeout=30)
        server.kill()
        server.wait()


def wrk(a, port, secs):
    bodies = os.path.join(ROOT, "target", "bench-api", "bodies.ndjson")
    if not os.path.exists(bodies):
        subprocess.run([sys.executable, os.path.join(HERE, "make_bodies.py"), os.path.join(ROOT, "tests", "data", "loghub-2k"), bodies], check=True)
    out = subprocess.run(["wrk", "-t2", f"-c{a.conns}", f"-d{secs}s", "--latency", "-s", os.path.join(HERE, "classify.lua"),
                          f"http://127.0.0.1:{port}"], env={**os.environ, "BODIES": bodies}, capture_output=True, text=True).stdout
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        return m.group(1) if m else "?"
    reqs = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    return (f"requests {reqs.group(1) if reqs else '?'}  p50 {pct(50)}  p90 {pct(90)}  p99 {pct(99)}  "
            f"max {mx.group(1) if mx else '?'}  non-2xx {non2xx.group(1) if non2xx else 0}")


def with_wrk(a, port, es, sidecar):
    query = {"query": {"bool": {"must_not": {"exists": {"field": "logsift.cluster_id"}}}}}
    es.indices.refresh(index="bench-logs")
    before = es.count(index="bench-logs", body=query)["count"]
    busy = wrk(a, port, a.busy_secs)
    es.indices.refresh(index="bench-logs")
    left = es.count(index="bench-logs", body=query)["count"]
    print(f"busy: {before} documents pending at the start, {left} still pending at the end "
          f"(the sidecar labelled {before - left} during the run); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  busy  {busy}")
    t0 = time.monotonic()
    while left > 0 and time.monotonic() - t0 < 600:
        time.sleep(1)
        es.indices.refresh(index="bench-logs")
        left = es.count(index="bench-logs", body=query)["count"]
    print(f"  idle  {wrk(a, port, a.busy_secs)}")


if __name__ == "__main__":
    main()
