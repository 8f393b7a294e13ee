#!/usr/bin/env python3
"""Synthetic audit trails with planted risky events, for the audit bar and the demo samples.

Writes, into --out (default: print a summary only):
  cloud_trace.ndjson   cloud trace events (service_type, trace_name, resource_type, trace_rating,
                       code, user{name,domain}, source_ip, resource_id, resource_name, time, ...)
  exchange.ndjson      Office 365 / Exchange Online audit records: admin cmdlets (Operation,
                       Parameters [{Name, Value}], ObjectId, ResultStatus "True") and mailbox
                       actions (MailboxLogin, FolderBind, SendAs, HardDelete ..., LogonType,
                       MailboxOwnerUPN, ClientIPAddress)
  labels.json          {"risky": {id: description}, "routine": {id: description}}: the planted
                       risky events, and the planted routine look-alikes (habitual sensitive
                       operations by the people who always do them, from their usual places).

Every line carries its own id (`trace_id` / `Id`), used as the document `_id`. Users have a
role (which operations, how often), one or two usual addresses and working hours; reads and
logins are frequent, grants and deletions rare, a few warnings and failures come from the
same few accounts. Deterministic for a seed:

  python3 tools/gen_audit_scenario.py --out /tmp/aud --cloud 10000 --exchange 2000 --seed 7
  python3 tools/gen_audit_scenario.py --out tests/data/samples --cloud 3000 --exchange 800 --seed 3 --prefix audit_
"""
import argparse
import datetime as dt
import json
import os
import random

# A sensitive operation its user has done this many times before is their routine.
HABIT = 8
START = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
DAYS = 30

# Cloud operations: (service, operation, resource type, resource prefix).
C = {
    "login": ("IAM", "login", "user", None),
    "listUsers": ("IAM", "listUsers", "user", None),
    "getUser": ("IAM", "getUser", "user", "usr"),
    "createUser": ("IAM", "createUser", "user", "usr"),
    "deleteUser": ("IAM", "deleteUser", "user", "usr"),
    "createAccessKey": ("IAM", "createAccessKey", "credential", "ak"),
    "deleteAccessKey": ("IAM", "deleteAccessKey", "credential", "ak"),
    "listServers": ("ECS", "listServers", "ecs", None),
    "getServer": ("ECS", "getServer", "ecs", "ecs"),
    "createServer": ("ECS", "createServer", "ecs", "ecs"),
    "rebootServer": ("ECS", "rebootServer", "ecs", "ecs"),
    "stopServer": ("ECS", "stopServer", "ecs", "ecs"),
    "listImages": ("IMS", "listImages", "image", None),
    "createImage": ("IMS", "createImage", "image", "img"),
    "deleteImage": ("IMS", "deleteImage", "image", "img"),
    "getObject": ("OBS", "getObject", "object", "obj"),
    "putObject": ("OBS", "putObject", "object", "obj"),
    "listBucket": ("OBS", "listBucket", "bucket", "bkt"),
    "decryptData": ("KMS", "decryptData", "key", "key"),
    "encryptData": ("KMS", "encryptData", "key", "key"),
    "listVpcs": ("VPC", "listVpcs", "vpc", None),
}
CLOUD_ROLES = {
    "developer": {"login": 30, "listServers": 15, "getServer": 12, "getObject": 15, "putObject": 8, "listImages": 6,
                  "createServer": 4, "rebootServer": 4, "listBucket": 6},
    "ops": {"login": 20, "listServers": 15, "getServer": 10, "rebootServer": 8, "stopServer": 5, "createImage": 10,
            "listImages": 12, "deleteImage": 8, "listVpcs": 5, "createServer": 7},
    "iam-admin": {"login": 25, "listUsers": 25, "getUser": 20, "createUser": 12, "deleteUser": 8, "createAccessKey": 4},
    "analyst": {"login": 35, "getObject": 35, "listBucket": 20, "decryptData": 10},
    "bot": {"getObject": 30, "putObject": 30, "encryptData": 15, "decryptData": 15, "createAccessKey": 5,
            "deleteAccessKey": 5},
}

# Exchange mailbox actions by the owner (LogonType 0), and admin cmdlets: (cmdlet, [parameter names]).
OWNER_ACTIONS = {"MailboxLogin": 45, "MoveToDeletedItems": 15, "SoftDelete": 8, "Update": 10, "Copy": 4}
ADMIN_ROLES = {
    "helpdesk": {("Get-Mailbox", ("Identity",)): 30, ("Set-Mailbox", ("Identity", "ProhibitSendQuota")): 15,
                 ("Add-MailboxPermission", ("Identity", "User", "AccessRights")): 15,
                 ("Set-CASMailbox", ("Identity", "OWAEnabled")): 10, ("Get-MailboxStatistics", ("Identity",)): 30},
    "messaging": {("Set-Mailbox", ("Identity", "ProhibitSendQuota")): 25, ("Set-Mailbox", ("Identity", "CustomAttribute1")): 20,
                  ("Enable-Mailbox", ("Identity",)): 10, ("Get-Mailbox", ("Identity",)): 35, ("Set-CASMailbox", ("Identity", "OWAEnabled")): 10},
    "itlead": {("Get-RoleGroupMember", ("Identity",)): 40, ("Add-RoleGroupMember", ("Identity", "Member")): 10,
               ("Get-Mailbox", ("Identity",)): 50},
}


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0

    def uid(self, prefix):
        self.n += 1
        return f"{prefix}-{self.n:06d}-{self.r.randrange(16**6):06x}"

    def when(self, hours, day=None):
        r = self.r
        day = r.randrange(DAYS) if day is None else day
        h = r.choice(hours)
        return START + dt.timedelta(days=day, hours=h, minutes=r.randrange(60), seconds=r.randrange(60))

    def ip(self, block):
        return f"{block}.{self.r.randrange(0, 256)}.{self.r.randrange(1, 255)}"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def cloud_event(g, t, user, ip, op, rating="normal", code=200, resource=None):
    svc, name, rtype, prefix = C[op]
    rid = resource or (f"{prefix}-{g.r.randrange(16**8):08x}" if prefix else None)
    ev = {
        "@timestamp": iso(t), "time": int(t.timestamp() * 1000), "trace_id": g.uid("tr"), "trace_type": "ConsoleAction",
        "service_type": svc, "trace_name": name, "resource_type": rtype, "trace_rating": rating, "code": code,
        "user": {"name": user, "domain": {"name": "acme"}}, "source_ip": ip,
        "api_version": "v3", "request": json.dumps({"action": name}), "response": json.dumps({"status": code}),
    }
    if rid:
        ev["resource_id"] = rid
        ev["resource_name"] = rid
    return ev


def gen_cloud(g, n, labels):
    r = g.r
    users = []
    roles = ["developer"] * 14 + ["ops"] * 5 + ["iam-admin"] * 2 + ["analyst"] * 6 + ["bot"] * 3
    for i, role in enumerate(roles):
        name = f"{role.split('-')[0]}{i:02d}" if role != "bot" else f"svc-pipeline{i:02d}"
        block = r.choice(["10.20", "10.21", "10.40"])
        ips = [g.ip(block) for _ in range(r.choice([1, 1, 2]))]
        start = r.choice([6, 7, 8, 9])
        hours = list(range(24)) if role == "bot" else list(range(start, start + 9))
        users.append({"name": name, "role": role, "ips": ips, "hours": hours, "weight": 3 if role == "bot" else 1})
    events = []
    n_warn = min(25, n // 100)
    for _ in range(n - 3 - n_warn):
        u = r.choices(users, [x["weight"] for x in users])[0]
        prof = CLOUD_ROLES[u["role"]]
        op = r.choices(list(prof), list(prof.values()))[0]
        t = g.when(u["hours"])
        rating, code = "normal", 200
        events.append((t, cloud_event(g, t, u["name"], r.choice(u["ips"]), op, rating, code), u))
    # A few warnings, all from the same two accounts: a user who mistypes and a legacy service.
    flaky = [u for u in users if u["role"] == "developer"][3]
    for _ in range(n_warn):
        t = g.when(flaky["hours"])
        events.append((t, cloud_event(g, t, flaky["name"], flaky["ips"][0], "login", "warning", 401), flaky))
    events.sort(key=lambda e: e[0])
    # Planted routine look-alikes: sensitive operations their user has done at least HABIT
    # times before, from a usual address at a usual hour.
    done = {}
    for t, ev, u in events:
        k = (u["name"], ev["trace_name"])
        if ev["trace_name"] in ("deleteImage", "deleteUser", "createAccessKey", "deleteAccessKey") and done.get(k, 0) >= HABIT:
            labels["routine"][ev["trace_id"]] = f"habitual {ev['trace_name']} by {u['name']} ({u['role']}), done {done[k]} times before"
        done[k] = done.get(k, 0) + 1
    iam = next(u for u in users if u["role"] == "iam-admin")
    ops = next(u for u in users if u["role"] == "ops")
    dev = next(u for u in users if u["role"] == "developer" and u is not flaky)
    planted = []
    t = g.when(iam["hours"], day=r.randrange(12, 28))
    ev = cloud_event(g, t, iam["name"], "198.51.100.77", "deleteUser")
    planted.append((t, ev, f"deleteUser by {iam['name']} from 198.51.100.77, an address never seen for that user"))
    t = g.when(ops["hours"], day=r.randrange(12, 28))
    ev = cloud_event(g, t, ops["name"], ops["ips"][0], "deleteImage", "incident", 200)
    planted.append((t, ev, f"incident-rated deleteImage by {ops['name']}"))
    t = g.when(dev["hours"], day=r.randrange(12, 28))
    ev = cloud_event(g, t, dev["name"], "41.203.77.18", "login")
    planted.append((t, ev, f"login by {dev['name']} from 41.203.0.0/16, a new country-sized block"))
    for t, ev, why in planted:
        labels["risky"][ev["trace_id"]] = why
        events.append((t, ev, None))
    events.sort(key=lambda e: e[0])
    return [e[1] for e in events]


def mailbox_record(g, t, user, ip, op, owner, logon_type):
    return {
        "@timestamp": iso(t), "CreationTime": t.strftime("%Y-%m-%dT%H:%M:%S"), "Id": g.uid("mbx"),
        "RecordType": 2, "Workload": "Exchange", "Operation": op, "ResultStatus": "Succeeded",
        "UserId": user, "UserKey": user, "UserType": 0, "OrganizationId": "acme-tenant", "LogonType": logon_type,
        "MailboxOwnerUPN": owner, "ClientIPAddress": ip, "ClientInfoString": "Client=OWA;Action=ViaProxy",
        "ExternalAccess": False, "ObjectId": owner,
    }


def admin_record(g, t, user, ip, cmdlet, params):
    ident = next((v for k, v in params if k == "Identity"), None)
    return {
        "@timestamp": iso(t), "CreationTime": t.strftime("%Y-%m-%dT%H:%M:%S"), "Id": g.uid("adm"),
        "RecordType": 1, "Workload": "Exchange", "Operation": cmdlet, "ResultStatus": "True",
        "UserId": user, "UserKey": user, "UserType": 2, "OrganizationId": "acme-tenant",
        "ClientIP": f"{ip}:{g.r.randrange(40000, 65000)}", "ObjectId": ident or "",
        "Parameters": [{"Name": k, "Value": v} for k, v in params], "ExternalAccess": False,
        "OriginatingServer": "AM6PR01MB1234 (15.20.7452.000)",
    }


def gen_exchange(g, n, labels):
    r = g.r
    dom = "contoso.com"
    people = [f"user{i:02d}@{dom}" for i in range(40)]
    ips = {p: g.ip(r.choice(["10.50", "10.51"])) for p in people}
    hours = {p: list(range(s, s + 9)) for p, s in ((p, r.choice([7, 8, 9])) for p in people)}
    admins = [("helpdesk1@" + dom, "helpdesk"), ("helpdesk2@" + dom, "messaging"), ("itlead@" + dom, "itlead")]
    for a, _ in admins:
        ips[a] = g.ip("10.60")
        hours[a] = list(range(8, 17))
    exec_, delegate = "ceo@" + dom, "assistant@" + dom
    ips[exec_], ips[delegate] = g.ip("10.50"), g.ip("10.50")
    hours[exec_], hours[delegate] = list(range(7, 19)), list(range(8, 17))
    events = []
    n_admin = n // 4
    for _ in range(n_admin):
        a, role = r.choices(admins, [5, 4, 1])[0]
        prof = ADMIN_ROLES[role]
        cmdlet, names = r.choices(list(prof), list(prof.values()))[0]
        target = r.choice(people)
        vals = {"Identity": target, "User": r.choice(people), "AccessRights": "FullAccess", "ProhibitSendQuota": "49GB",
                "OWAEnabled": r.choice(["True", "False"]), "CustomAttribute1": r.choice(["Sales", "IT", "HR"]),
                "Member": r.choice(people)}
        if cmdlet.endswith("RoleGroupMember"):
            vals["Identity"] = r.choice(["Help Desk", "Recipient Management"])
        t = g.when(hours[a])
        ev = admin_record(g, t, a, ips[a], cmdlet, [(k, vals[k]) for k in names])
        events.append((t, ev))
    n_mbx = n - n_admin - 5
    for i in range(n_mbx):
        if i % 10 == 0:
            # The assistant sends as the CEO and reads the CEO's folders, in working hours.
            op = r.choices(["SendAs", "FolderBind", "MessageBind"], [4, 4, 2])[0]
            t = g.when(hours[delegate])
            ev = mailbox_record(g, t, delegate, ips[delegate], op, exec_, 2)
        else:
            p = r.choice(people + [exec_] * 3)
            op = r.choices(list(OWNER_ACTIONS), list(OWNER_ACTIONS.values()))[0]
            if p == people[5] and r.random() < 0.5:
                op = "HardDelete"  # one user empties their own mailbox by hard deletes
            t = g.when(hours[p])
            ev = mailbox_record(g, t, p, ips[p], op, p, 0)
        events.append((t, ev))
    events.sort(key=lambda e: e[0])
    # Planted routine look-alikes (as for the cloud events): habitual sensitive operations.
    done = {}
    for t, ev in events:
        k = (ev["UserId"], ev["Operation"], ev.get("LogonType"))
        if ev["Operation"] in ("Add-MailboxPermission", "Add-RoleGroupMember", "SendAs", "HardDelete") and done.get(k, 0) >= HABIT:
            labels["routine"][ev["Id"]] = f"habitual {ev['Operation']} by {ev['UserId']}, done {done[k]} times before"
        done[k] = done.get(k, 0) + 1
    h1, h2 = admins[0][0], admins[1][0]
    planted = []
    day = lambda: r.randrange(12, 28)
    t = g.when(hours[h1], day=day())
    ev = admin_record(g, t, h1, ips[h1], "Add-MailboxPermission",
                      [("Identity", exec_), ("User", "j.smith@outlook-mail.net"), ("AccessRights", "FullAccess")])
    planted.append((t, ev, "FullAccess on the CEO's mailbox granted to an outside user"))
    t = g.when(hours[h2], day=day())
    ev = admin_record(g, t, h2, ips[h2], "Set-Mailbox",
                      [("Identity", "cfo@" + dom), ("ForwardingSmtpAddress", "smtp:cfo.backup@protonmail-box.org"),
                       ("DeliverToMailboxAndForward", "True")])
    planted.append((t, ev, "forwarding of the CFO's mail to an outside domain"))
    t = g.when(hours[h2], day=day())
    ev = admin_record(g, t, h2, ips[h2], "Add-RoleGroupMember", [("Identity", "Organization Management"), ("Member", h2)])
    planted.append((t, ev, f"{h2}, who never changed roles, adds itself to Organization Management"))
    p = people[11]
    t = g.when(hours[p], day=day())
    ev = mailbox_record(g, t, h1, ips[h1], "HardDelete", p, 1)
    planted.append((t, ev, f"HardDelete in {p}'s mailbox by a non-owner (admin logon)"))
    t = START + dt.timedelta(days=day(), hours=3, minutes=r.randrange(60))
    ev = mailbox_record(g, t, delegate, ips[delegate], "SendAs", exec_, 2)
    planted.append((t, ev, "SendAs as the CEO by the delegate at 03:00"))
    for t, ev, why in planted:
        labels["risky"][ev["Id"]] = why
        events.append((t, ev))
    events.sort(key=lambda e: e[0])
    return [e[1] for e in events]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cloud", type=int, default=10000)
    ap.add_argument("--exchange", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--prefix", default="", help="file name prefix")
    ap.add_argument("--no-labels", action="store_true")
    a = ap.parse_args()
    g = Gen(a.seed)
    labels = {"risky": {}, "routine": {}}
    cloud = gen_cloud(g, a.cloud, labels)
    exch = gen_exchange(g, a.exchange, labels)
    os.makedirs(a.out, exist_ok=True)
    for name, evs in (("cloud_trace", cloud), ("exchange", exch)):
        with open(os.path.join(a.out, f"{a.prefix}{name}.ndjson"), "w") as f:
            for e in evs:
                f.write(json.dumps(e, sort_keys=True) + "\n")
    if not a.no_labels:
        with open(os.path.join(a.out, f"{a.prefix}labels.json"), "w") as f:
            json.dump(labels, f, indent=1, sort_keys=True)
    print(f"{len(cloud)} cloud trace events, {len(exch)} Exchange records, "
          f"{len(labels['risky'])} risky, {len(labels['routine'])} routine look-alikes -> {a.out}")


if __name__ == "__main__":
    main()
