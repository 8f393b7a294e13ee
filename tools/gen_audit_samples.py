#!/usr/bin/env python3
"""Generate tests/data/samples/cloud_audit.ndjson: synthetic cloud-audit events (who did what to
which resource, with an outcome), shaped like the audit trails cloud platforms export.
Deterministic (fixed seed); run once, the output is committed."""
import json, os, random

rng = random.Random(42)
SERVICES = {
    "ECS": (["createServer", "deleteServer", "rebootServer", "resizeServer"], "ecs"),
    "IAM": (["createUser", "deleteUser", "attachPolicy", "login"], "user"),
    "OBS": (["putObject", "deleteObject", "setBucketPolicy"], "bucket"),
    "VPC": (["createSecurityGroup", "deleteSecurityGroupRule", "createVpc"], "vpc"),
}
USERS = ["alice", "bob", "carol", "deploy-bot", "ci-runner"]


def main():
    out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data", "samples")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cloud_audit.ndjson"), "w") as f:
        for i in range(600):
            svc = rng.choice(list(SERVICES))
            ops, rtype = SERVICES[svc]
            op = rng.choice(ops)
            rating = rng.choices(["normal", "warning", "incident"], [90, 8, 2])[0]
            ev = {
                "@timestamp": f"2024-11-{1 + i // 40:02d}T{(i * 7) % 24:02d}:{(i * 13) % 60:02d}:{i % 60:02d}Z",
                "service_type": svc, "trace_name": op, "resource_type": rtype,
                "resource_name": f"{rtype}-{rng.randint(1000, 9999)}", "trace_rating": rating,
                "user": {"name": rng.choice(USERS)}, "source_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "code": 200 if rating == "normal" else rng.choice([400, 403, 500]),
            }
            f.write(json.dumps(ev) + "\n")
        # A rare, dangerous operation.
        f.write(json.dumps({"@timestamp": "2024-11-15T03:12:00Z", "service_type": "KMS", "trace_name": "scheduleKeyDeletion",
                            "resource_type": "key", "resource_name": "key-0001", "trace_rating": "incident",
                            "user": {"name": "mallory"}, "source_ip": "203.0.113.9", "code": 200}) + "\n")


if __name__ == "__main__":
    main()
