#!/usr/bin/env python3
"""Load logsift's bundled sample logs into a search server (used by `make run` and benchmarks).

Indices written (each document has `message`, `@timestamp`, and `event_id` = the Loghub label):
  logs-sshd      OpenSSH lines from tests/data/loghub-2k as full syslog lines
                 ("Dec 10 06:55:46 LabSZ sshd[24200]: ..."), for `strip_syslog_header`
  logs-linux, logs-apache   two more labelled systems (message = the Loghub Content)
  audit-events   cloud-audit JSON events from tests/data/samples/cloud_audit.ndjson
  cloud-trace    cloud trace events (tests/data/samples/audit_cloud_trace.ndjson), for the
                 `cloud-trace` preset; `_id` = trace_id
  exchange-audit Office 365 / Exchange admin and mailbox audit records
                 (tests/data/samples/audit_exchange.ndjson), for the `o365-exchange` preset; `_id` = Id
                 (both made by tools/gen_audit_scenario.py --seed 3, with planted risky events)

Usage: load_samples.py URL [--only sshd,linux,apache,audit,cloudtrace,exchange] [--copies N]
"""
import argparse, csv, json, os, sys
from opensearchpy import OpenSearch, helpers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGHUB = os.path.join(ROOT, "tests", "data", "loghub-2k")
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def loghub_rows(system):
    path = os.path.join(LOGHUB, system, f"{system}_2k.log_structured_corrected.csv")
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def sshd_docs(copies):
    for c in range(copies):
        for r in loghub_rows("OpenSSH"):
            month, day, time = r["Date"], int(r["Day"]), r["Time"]
            ts = f"2024-{MONTHS[month]:02d}-{day:02d}T{time}Z"
            line = f"{month} {day:2d} {time} {r['Component']} sshd[{r['Pid']}]: {r['Content']}"
            yield {"_index": "logs-sshd", "_source": {"message": line, "@timestamp": ts,
                   "host": r["Component"], "program": "sshd", "event_id": r["EventId"]}}


def plain_docs(system, index, copies):
    for c in range(copies):
        for i, r in enumerate(loghub_rows(system)):
            ts = f"2024-06-{1 + (i * 30) // 2000:02d}T{(i % 24):02d}:{(i % 60):02d}:00Z"
            yield {"_index": index, "_source": {"message": r["Content"], "@timestamp": ts, "event_id": r["EventId"]}}


def audit_docs(copies):
    path = os.path.join(ROOT, "tests", "data", "samples", "cloud_audit.ndjson")
    with open(path, encoding="utf-8") as f:
        events = [json.loads(l) for l in f if l.strip()]
    for c in range(copies):
        for e in events:
            yield {"_index": "audit-events", "_source": e}


def structured_docs(name, index, id_field):
    path = os.path.join(ROOT, "tests", "data", "samples", name)
    with open(path, encoding="utf-8") as f:
        for l in f:
            if l.strip():
                e = json.loads(l)
                yield {"_index": index, "_id": e[id_field], "_source": e}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--only", default="sshd,linux,apache,audit,cloudtrace,exchange")
    ap.add_argument("--copies", type=int, default=1)
    a = ap.parse_args()
    es = OpenSearch(a.url, timeout=120)
    gens = {"sshd": lambda: sshd_docs(a.copies), "linux": lambda: plain_docs("Linux", "logs-linux", a.copies),
            "apache": lambda: plain_docs("Apache", "logs-apache", a.copies), "audit": lambda: audit_docs(a.copies),
            "cloudtrace": lambda: structured_docs("audit_cloud_trace.ndjson", "cloud-trace", "trace_id"),
            "exchange": lambda: structured_docs("audit_exchange.ndjson", "exchange-audit", "Id")}
    for name in a.only.split(","):
        n, errors = helpers.bulk(es, gens[name](), chunk_size=2000, raise_on_error=True)
        print(f"loaded {n} documents ({name})", file=sys.stderr)
    es.indices.refresh(index="_all")


if __name__ == "__main__":
    main()
