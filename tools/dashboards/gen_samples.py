#!/usr/bin/env python3
"""Writes the Logstash sample inputs under docker/logstash/samples/ (run once; outputs are committed).

- sshd.log: the bundled Loghub OpenSSH sample turned back into raw syslog lines
  (`Dec 10 06:55:46 LabSZ sshd[24200]: ...`).
- cloud-audit.ndjson: deterministic synthetic cloud audit traces (who did what to which
  resource, with a normal/warning/incident rating), one JSON object per line.
"""
import csv, json, random, datetime, pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "docker" / "logstash" / "samples"

def sshd():
    src = ROOT / "tests/data/loghub-2k/OpenSSH/OpenSSH_2k.log_structured_corrected.csv"
    with open(src, newline="") as f, open(OUT / "sshd.log", "w") as out:
        for r in csv.DictReader(f):
            out.write(f"{r['Date']} {int(r['Day']):>2} {r['Time']} {r['Component']} sshd[{r['Pid']}]: {r['Content']}\n")

OPS = [  # service, operation, resource type, weight
    ("ECS", "createServer", "ecs", 30), ("ECS", "startServer", "ecs", 60), ("ECS", "stopServer", "ecs", 50),
    ("ECS", "deleteServer", "ecs", 6), ("IAM", "login", "user", 120), ("IAM", "createAccessKey", "credential", 4),
    ("IAM", "attachRolePolicy", "role", 2), ("OBS", "putObject", "bucket", 90), ("OBS", "deleteBucket", "bucket", 2),
    ("OBS", "putBucketPolicy", "bucket", 3), ("VPC", "updateSecurityGroupRule", "security_group", 8),
    ("RDS", "createSnapshot", "rds", 15), ("RDS", "resetPassword", "rds", 1),
]
USERS = ["alice", "bob", "carol", "deploy-bot", "ops-admin"]

def audit(n=500):
    rnd = random.Random(42)
    t = datetime.datetime(2024, 12, 10, 6, 0, tzinfo=datetime.timezone.utc)
    weights = [o[3] for o in OPS]
    with open(OUT / "cloud-audit.ndjson", "w") as out:
        for i in range(n):
            t += datetime.timedelta(seconds=rnd.randint(20, 400))
            svc, op, rtype, _ = rnd.choices(OPS, weights)[0]
            user = rnd.choice(USERS)
            ip = f"10.{rnd.randint(0, 3)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
            res = f"{rtype}-{rnd.randint(1, 40):03d}"
            roll = rnd.random()
            code, rating = (200, "normal")
            if roll < 0.08:
                code, rating = (403, "warning")
            elif roll < 0.11:
                code, rating = (500, "incident")
            if op in ("deleteBucket", "resetPassword", "attachRolePolicy") and rating == "normal":
                rating = "warning"
            ev = {
                "time": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service_type": svc, "trace_name": op,
                "resource_type": rtype, "resource_name": res, "trace_rating": rating, "code": code,
                "user": user, "source_ip": ip, "request_id": f"req-{rnd.getrandbits(48):012x}",
                "message": f"user {user} called {op} on {rtype} {res} from {ip}: status {code}",
            }
            out.write(json.dumps(ev) + "\n")

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    sshd()
    audit()
