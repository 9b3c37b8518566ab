#!/usr/bin/env python3
"""How well do mamori's behavioural analytics do on public data with known answers?

Builds a ground truth (docs/truth-format.md) for each public dataset, runs the reference
pipeline (decoders -> enrichers -> analytics, bench/analytics/analytics_run.cpp), scores the
findings with `mamori eval`, and prints the tables. Called by bench/analytics-eval.

Sections:
  ssh      loghub OpenSSH_2k.log; reference attackers = the addresses Debian's fail2ban
           (sshd filter through fail2ban-regex, default jail maxretry 5 / findtime 10 min) and
           sshguard (sshg-parser | sshg-blocker, default threshold 30) ban on the same file.
  windows  the Windows spray sets: OTRF purplesharp_ad_playbook_I (NXLog JSON, 4625 + 4776)
           and EVTX-ATTACK-SAMPLES kerberos_pwd_spray_4771 (native .evtx), plus the other OTRF
           host datasets as benign background.
  panther  Panther rule tests with a per-event expected_result for brute force (by user, by
           IP), impossible travel, root activity and cloud configuration changes, replayed as
           event sequences (see panther_cases()).
  simulator  the simulator's week (`mamori simulate`), if the binary has the command.
"""

import argparse
import collections
import datetime as dt
import glob
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def iso(ns):
    return dt.datetime.fromtimestamp(ns / 1e9, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(s):
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(frac):]
        s = head + "." + (frac + "000000")[:6] + tz
    return dt.datetime.fromisoformat(s)


class Ctx:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.shared = os.path.abspath(args.shared)
        self.work = os.path.abspath(args.work)
        self.runner = os.path.join(self.build, "bin", "mamori_analytics_run")
        self.mamori = os.path.join(self.build, "bin", "mamori")
        os.makedirs(self.work, exist_ok=True)

    def analytics(self, inputs, name, config=None, state=None, extra=()):
        findings = os.path.join(self.work, name + ".findings.ndjson")
        stats = os.path.join(self.work, name + ".stats.json")
        cmd = [self.runner, "--analytics", config or "default", "--findings", findings,
               "--stats-json", stats, *extra]
        if state:
            cmd += ["--state", state]
        cmd += inputs
        r = run(cmd)
        if r.returncode != 0:
            sys.exit(f"{name}: analytics_run failed:\n{r.stderr[-2000:]}")
        with open(stats) as f:
            st = json.load(f)
        out = []
        with open(findings) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
        return findings, out, st

    def evaluate(self, truth, findings, only="mamori.", users=None, days=None):
        cmd = [self.mamori, "eval", "--truth", truth, findings]
        if only:
            cmd += ["--only", only]
        if users:
            cmd += ["--users", str(users)]
        if days:
            cmd += ["--days", str(days)]
        r = run(cmd)
        rj = run(cmd + ["--output", "json"])
        return r.stdout + (r.stderr if r.returncode else ""), json.loads(rj.stdout or "{}")

    def parse(self, inputs):
        r = run([self.mamori, "parse", *inputs])
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def write_truth(path, campaigns, benign=None):
    with open(path, "w") as f:
        for c in campaigns:
            c = dict(c)
            c["type"] = "campaign"
            c["version"] = 1
            f.write(json.dumps(c) + "\n")
        if benign:
            b = dict(benign)
            b["type"] = "benign"
            f.write(json.dumps(b) + "\n")


def g(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


# --- ssh ------------------------------------------------------------------------------------

def ensure_tools():
    """fail2ban and sshguard are optional: installed with apt-get when missing."""
    missing = [p for p, exe in (("fail2ban", "fail2ban-regex"), ("sshguard", "/usr/libexec/sshguard/sshg-parser"))
               if not shutil.which(exe) and not os.path.exists(exe)]
    if not missing:
        return True
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"  installing {' '.join(missing)} with apt-get (optional reference tools)")
    r = subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print("  apt-get failed; the reference comparison is skipped:\n" + r.stderr[-500:])
        return False
    return True


def fail2ban_bans(log, maxretry=5, findtime=600):
    r = run(["fail2ban-regex", "-o", "<time> <ip>", log, "sshd"])
    hits = collections.defaultdict(list)
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                hits[parts[1]].append(float(parts[0]))
            except ValueError:
                pass
    bans = {}
    for ip, ts in hits.items():
        ts.sort()
        for k in range(len(ts)):
            j = k - maxretry + 1
            if j >= 0 and ts[k] - ts[j] <= findtime:
                bans[ip] = ts[k]
                break
    return bans, {ip: len(v) for ip, v in hits.items()}


def sshguard_bans(log):
    with open(log) as f:
        parser = subprocess.Popen(["/usr/libexec/sshguard/sshg-parser"], stdin=f, stdout=subprocess.PIPE)
        blocker = subprocess.run(["/usr/libexec/sshguard/sshg-blocker", "-a", "30", "-p", "120", "-s", "1800"],
                                 stdin=parser.stdout, capture_output=True, text=True)
        parser.wait()
    return {l.split()[1] for l in blocker.stdout.splitlines() if l.startswith("block ")}


def section_ssh(ctx, out):
    log = os.path.join(ctx.shared, "ssh/loghub/OpenSSH/OpenSSH_2k.log")
    if not os.path.exists(log):
        out.append("ssh: dataset absent, skipped")
        return
    print("== ssh: loghub OpenSSH_2k.log")
    have_tools = ensure_tools()
    events = ctx.parse([log])
    by_ip = collections.defaultdict(list)
    accounts = set()
    for e in events:
        if e.get("class_uid") != 3002:
            continue
        ip = g(e, "src_endpoint", "ip")
        user = g(e, "user", "name") or g(e, "actor", "user", "name")
        if user:
            accounts.add(user.lower())
        if ip and e.get("status_id") == 2:
            by_ip[ip].append(e)
    findings_path, findings, stats = ctx.analytics([log], "ssh")
    mamori_ips = set()
    for f in findings:
        if g(f, "rule", "uid") in ("mamori.brute_force_source", "mamori.password_spray", "mamori.brute_force"):
            ip = g(f, "src_endpoint", "ip")
            if ip:
                mamori_ips.add(ip)
    sets = {"mamori": mamori_ips}
    if have_tools:
        f2b, f2b_hits = fail2ban_bans(log)
        sets["fail2ban"] = set(f2b)
        sets["sshguard"] = sshguard_bans(log)
    rows = []
    names = list(sets)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = sets[names[i]], sets[names[j]]
            jac = len(a & b) / len(a | b) if a | b else 1.0
            rows.append(f"  {names[i]:>8} vs {names[j]:<8} both {len(a & b):>3}  only {names[i]} {len(a - b):>3}"
                        f"  only {names[j]} {len(b - a):>3}  Jaccard {jac:.2f}")
    lines = [f"ssh: {stats['events']} events, {len(findings)} findings; banned/implicated addresses: "
             + ", ".join(f"{k} {len(v)}" for k, v in sets.items())]
    lines += rows
    if have_tools:
        ref = sets["fail2ban"] | sets["sshguard"]
        only_ref = sorted(ref - mamori_ips)
        lines.append("  reference attackers (fail2ban ∪ sshguard) mamori does not implicate, with their "
                     "failure counts: " + ", ".join(f"{ip} ({len(by_ip.get(ip, []))})" for ip in only_ref))
        extra = sorted(mamori_ips - ref)
        if extra:
            lines.append("  implicated by mamori only: " + ", ".join(extra))
        campaigns = []
        for n, ip in enumerate(sorted(ref)):
            evs = by_ip.get(ip, [])
            times = sorted(e["time_dt"] for e in evs if "time_dt" in e)
            if not times:
                continue
            campaigns.append({
                "campaign_id": f"ssh{n:03d}", "scenario": "ssh_brute_force",
                "description": f"{ip}: banned by " + "+".join(k for k in ("fail2ban", "sshguard") if ip in sets[k]),
                "start": times[0], "end": times[-1],
                "entities": {"users": [], "src_ips": [ip], "hosts": [], "cloud_accounts": []},
                "expected_detections": [{"rule_uid": ["mamori.brute_force_source", "mamori.password_spray",
                                                      "mamori.brute_force"], "entity": {"src_ip": ip}}],
                "malicious_events": [{"source": log, "line": e["metadata"]["sequence"]} for e in evs
                                     if g(e, "metadata", "sequence")],
            })
        span = [parse_iso(e["time_dt"]) for e in events if "time_dt" in e]
        days = max(1.0, (max(span) - min(span)).total_seconds() / 86400) if span else 1
        truth = os.path.join(ctx.work, "ssh.truth.ndjson")
        write_truth(truth, campaigns, {"users": len(accounts), "days": round(days, 2)})
        table, _ = ctx.evaluate(truth, findings_path)
        lines.append("  mamori eval against the reference attackers (one campaign per banned address):")
        lines += ["    " + l for l in table.splitlines()]
    out.extend(lines)
    print("\n".join(lines))


# --- windows --------------------------------------------------------------------------------

def section_windows(ctx, out):
    print("== windows: spray sets")
    ps = os.path.join(ctx.shared, "windows/otrf-mordor/purplesharp_ad_playbook_I/host/"
                                  "purplesharp_ad_playbook_I_2020-10-22042947.json")
    krb = os.path.join(ctx.shared, "windows/evtx-attack-samples/Credential Access/kerberos_pwd_spray_4771.evtx")
    if not os.path.exists(ps):
        out.append("windows: dataset absent, skipped")
        return
    campaigns = []
    inputs = []
    for n, (path, scenario, ids) in enumerate([(ps, "purplesharp_password_spray", (4625, 4776)),
                                               (krb, "kerberos_password_spray", (4768, 4771))]):
        if not os.path.exists(path):
            continue
        inputs.append(path)
        evs = [e for e in ctx.parse([path]) if e.get("class_uid") == 3002 and e.get("status_id") == 2
               and str(g(e, "metadata", "event_code")) in {str(i) for i in ids}]
        users = sorted({(g(e, "actor", "user", "name") or g(e, "user", "name") or "") for e in evs} - {""})
        hosts = sorted({g(e, "src_endpoint", "hostname") for e in evs} - {None})
        ips = sorted({g(e, "src_endpoint", "ip") for e in evs} - {None})
        times = sorted(e["time_dt"] for e in evs)
        campaigns.append({
            "campaign_id": f"win{n}", "scenario": scenario,
            "description": f"{len(evs)} failed logons for {len(users)} accounts from {', '.join(hosts + ips)}",
            "start": times[0], "end": times[-1],
            "entities": {"users": users, "src_ips": ips, "hosts": hosts, "cloud_accounts": []},
            "expected_detections": [{"rule_uid": "mamori.password_spray"}],
            "malicious_events": [{"source": path, "uid": str(g(e, "metadata", "uid"))} for e in evs],
        })
    # The other OTRF host datasets: attacks, but none of them a sign-in attack; background.
    background = sorted(p for p in glob.glob(os.path.join(ctx.shared, "windows/otrf-mordor/*/host/*.json"))
                        if "purplesharp" not in p)
    findings_path, findings, stats = ctx.analytics(inputs + background, "windows")
    truth = os.path.join(ctx.work, "windows.truth.ndjson")
    write_truth(truth, campaigns)
    table, _ = ctx.evaluate(truth, findings_path)
    lines = [f"windows: {stats['events']} events ({len(background)} background OTRF datasets), "
             f"{len(findings)} findings, {stats['events_per_second']:.0f} events/s"]
    for f in findings:
        if g(f, "rule", "uid") == "mamori.password_spray":
            lines.append("  " + f["explanation"])
    lines += ["  " + l for l in table.splitlines()]
    out.extend(lines)
    print("\n".join(lines))


# --- panther --------------------------------------------------------------------------------

PANTHER_RULES = {
    "Standard.BruteForceByUser": "mamori.brute_force",
    "Standard.BruteForceByIP": "mamori.brute_force_source",
    "Standard.ImpossibleTravel.Login": "mamori.impossible_travel",
    "AWS.Console.RootLogin": "mamori.root_activity",
    "AWS.Console.RootLoginFailed": "mamori.root_activity",
    "AWS.Root.Activity": "mamori.root_activity",
    "AWS.CloudTrail.RootAccessKeyCreated": "mamori.root_activity",
    "AWS.CloudTrail.RootPasswordChanged": "mamori.root_activity",
    "AWS.CloudTrail.Stopped": "mamori.cloud_config_change",
    "AWS.CloudTrail.ResourceMadePublic": "mamori.cloud_config_change",
    "AWS.IAM.PolicyModified": "mamori.cloud_config_change",
}

TIME_KEYS = {"Okta.SystemLog": ["published"], "AWS.CloudTrail": ["eventTime"], "Box.Event": ["created_at"],
             "GSuite.ActivityEvent": [("id", "time")], "Azure.Audit": ["time", ("properties", "createdDateTime")]}
ID_KEYS = {"Okta.SystemLog": ["uuid"], "AWS.CloudTrail": ["eventID"], "Box.Event": ["event_id"],
           "GSuite.ActivityEvent": [("id", "uniqueQualifier")], "Azure.Audit": [("properties", "id")]}


def put(d, key, v):
    if isinstance(key, tuple):
        for k in key[:-1]:
            d = d.setdefault(k, {})
        d[key[-1]] = v
    else:
        d[key] = v


def panther_cases(shared):
    """Each Panther test becomes a small sequence with an expectation:
    - brute force: the test event 12 times, 10 s apart (more than 10 in 5 min), so a failure
      event expected true must produce a finding and a success expected false must not;
    - impossible travel (Okta): the mocked history becomes a real earlier sign-in with that
      location (Okta client.geographicalContext), the test event gets its p_enrichment
      location; ipinfo_privacy vpn/relay/hosting flags become an IP list for that run;
    - AWS rules: the single event."""
    cases = []
    base = dt.datetime(2026, 1, 5, 10, 0, 0, tzinfo=dt.timezone.utc)
    for fname in ("standard_rules_multi_logtype.jsonl", "aws_cloudtrail.jsonl"):
        path = os.path.join(shared, "saas/panther-rule-tests", fname)
        if not os.path.exists(path):
            continue
        for n, line in enumerate(open(path)):
            t = json.loads(line)
            rule = t["rule_id"]
            if rule not in PANTHER_RULES:
                continue
            log = t["log"]
            lt = log.get("p_log_type") or (t.get("log_types") or [""])[0]
            case = {"rule": rule, "mamori": PANTHER_RULES[rule], "name": t["test_name"], "log_type": lt,
                    "expected": bool(t["expected_result"]), "records": [], "lists": {}}
            def rec(l, when, k):
                l = json.loads(json.dumps(l))
                for key in TIME_KEYS.get(lt, []):
                    put(l, key, when.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
                for key in ID_KEYS.get(lt, []):
                    put(l, key, f"panther-{n}-{k}")
                w = {kk: vv for kk, vv in t.items() if kk != "log"}
                w["log"] = l
                return w
            if rule.startswith("Standard.BruteForce"):
                if lt not in TIME_KEYS:
                    case["skip"] = f"log type {lt} has no mamori decoder"
                for k in range(12):
                    case["records"].append(rec(log, base + dt.timedelta(seconds=10 * k), k))
            elif rule == "Standard.ImpossibleTravel.Login":
                if lt != "Okta.SystemLog":
                    case["skip"] = f"{lt}: no way to give the event Panther's enrichment location"
                loc = g(log, "p_enrichment", "ipinfo_location", "client.ipAddress")
                when = parse_iso(log.get("p_event_time", "2026-01-05T10:00:00Z").replace(" ", "T") + ("" if "Z" in log.get("p_event_time", "Z") or "+" in log.get("p_event_time", "") else "Z"))
                for m in t.get("mocks") or []:
                    if m.get("objectName") == "get_string_set" and m.get("returnValue"):
                        for k, h in enumerate(json.loads(m["returnValue"])):
                            prev = json.loads(json.dumps(log))
                            prev.setdefault("client", {})["ipAddress"] = f"198.51.100.{10 + k}"
                            prev["client"]["geographicalContext"] = {
                                "city": h.get("city"), "country": h.get("country"),
                                "geolocation": {"lat": float(h["lat"]), "lon": float(h["lng"])}}
                            prev.pop("p_enrichment", None)
                            hw = parse_iso(h["p_event_time"].replace(" ", "T") + ("" if "+" in h["p_event_time"] else "Z"))
                            case["records"].append(rec(prev, hw, f"h{k}"))
                cur = json.loads(json.dumps(log))
                if loc:
                    cur.setdefault("client", {})["geographicalContext"] = {
                        "city": loc.get("city"), "country": loc.get("country"),
                        "geolocation": {"lat": float(loc["lat"]), "lon": float(loc["lng"])}}
                priv = g(log, "p_enrichment", "ipinfo_privacy", "client.ipAddress") or {}
                ip = g(log, "client", "ipAddress")
                for flag, key in (("vpn", "vpn"), ("relay", "relay"), ("hosting", "hosting"), ("tor", "tor")):
                    if priv.get(key) and ip:
                        case["lists"].setdefault(flag, []).append(ip)
                case["records"].append(rec(cur, when, "cur"))
            else:
                when = base
                et = log.get("eventTime")
                if et:
                    try:
                        when = parse_iso(et)
                    except ValueError:
                        pass
                case["records"].append(rec(log, when, 0))
            cases.append(case)
    return cases


def section_panther(ctx, out):
    print("== panther: per-event expectations replayed as sequences")
    cases = panther_cases(ctx.shared)
    if not cases:
        out.append("panther: dataset absent, skipped")
        return
    d = os.path.join(ctx.work, "panther")
    os.makedirs(d, exist_ok=True)
    matrix = collections.defaultdict(lambda: collections.Counter())
    disagreements = []
    for k, c in enumerate(cases):
        if c.get("skip"):
            matrix[c["rule"]]["n/a"] += 1
            continue
        inp = os.path.join(d, f"case{k:03d}.jsonl")
        with open(inp, "w") as f:
            for r in c["records"]:
                f.write(json.dumps(r) + "\n")
        cfg = os.path.join(d, f"case{k:03d}.yml")
        lists = []
        for flag, ips in c["lists"].items():
            lp = os.path.join(d, f"case{k:03d}.{flag}.txt")
            with open(lp, "w") as f:
                f.write("\n".join(ips) + "\n")
            lists.append({"path": lp, "flag": flag})
        with open(cfg, "w") as f:
            # Geo comes from the test's own enrichment; keep the shipped lists for the rest.
            json.dump({"enrichment": {"geoip": False, "asn": False, "lists": lists}}, f)
        _, findings, _ = ctx.analytics([inp], f"panther/case{k:03d}", config=cfg)
        fired = [f for f in findings if g(f, "rule", "uid") == c["mamori"]]
        got = bool(fired)
        key = ("TP" if got else "FN") if c["expected"] else ("FP" if got else "TN")
        matrix[c["rule"]][key] += 1
        if got != c["expected"]:
            disagreements.append(f"    {key} {c['rule']} / {c['name']}"
                                 + (f": {fired[0]['explanation'][:180]}" if fired else ""))
    lines = ["panther: per test case, does the mapped mamori analytic fire as Panther expects?",
             f"  {'Panther rule':<38} {'mamori analytic':<28} {'TP':>3} {'FN':>3} {'FP':>3} {'TN':>3} {'n/a':>4}"]
    for rule in sorted(matrix):
        m = matrix[rule]
        lines.append(f"  {rule:<38} {PANTHER_RULES[rule]:<28} {m['TP']:>3} {m['FN']:>3} {m['FP']:>3} {m['TN']:>3} {m['n/a']:>4}")
    tot = collections.Counter()
    for m in matrix.values():
        tot.update(m)
    agree = tot["TP"] + tot["TN"]
    judged = agree + tot["FP"] + tot["FN"]
    lines.append(f"  agreement {agree}/{judged} judged cases ({100 * agree / max(1, judged):.0f}%), "
                 f"{tot['n/a']} not applicable (log type without a decoder or without location)")
    if disagreements:
        lines.append("  disagreements (see docs/analytics.md for the deliberate ones):")
        lines += disagreements
    out.extend(lines)
    print("\n".join(lines))


# --- simulator ------------------------------------------------------------------------------

def section_simulator(ctx, out, users, days):
    print("== simulator: a generated company week")
    r = run([ctx.mamori, "simulate", "--help"])
    if r.returncode != 0:
        out.append("simulator: `mamori simulate` not in this build, skipped")
        print(out[-1])
        return
    week = os.path.join(ctx.work, "week")
    shutil.rmtree(week, ignore_errors=True)
    r = run([ctx.mamori, "simulate", "--users", str(users), "--days", str(days), "--seed", "7", "--out", week])
    if r.returncode != 0:
        out.append("simulator: generation failed: " + r.stderr[-500:])
        print(out[-1])
        return
    truth = os.path.join(week, "truth.ndjson")
    inputs = [p for p in glob.glob(os.path.join(week, "**", "*"), recursive=True)
              if os.path.isfile(p) and not p.endswith(("truth.ndjson", ".md", "summary.json", "people.ndjson",
                                                       "posture.ndjson", "company.json"))]
    state = os.path.join(ctx.work, "week-state")
    shutil.rmtree(state, ignore_errors=True)
    findings_path, findings, stats = ctx.analytics(inputs, "week", state=state)
    table, rep = ctx.evaluate(truth, findings_path, users=users, days=days)
    lines = [f"simulator: {users} users × {days} days, {stats['events']} events, {len(findings)} findings, "
             f"{stats['events_per_second']:.0f} events/s"]
    lines += ["  " + l for l in table.splitlines()]
    out.extend(lines)
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--shared", default=os.environ.get("MAMORI_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "analytics-eval"))
    ap.add_argument("--sections", default="ssh,windows,panther,simulator")
    ap.add_argument("--sim-users", type=int, default=500)
    ap.add_argument("--sim-days", type=int, default=7)
    args = ap.parse_args()
    ctx = Ctx(args)
    for exe in (ctx.runner, ctx.mamori):
        if not os.path.exists(exe):
            sys.exit(f"{exe} missing: build first (make build)")
    out = []
    for s in args.sections.split(","):
        if s == "ssh":
            section_ssh(ctx, out)
        elif s == "windows":
            section_windows(ctx, out)
        elif s == "panther":
            section_panther(ctx, out)
        elif s == "simulator":
            section_simulator(ctx, out, args.sim_users, args.sim_days)
        print()
    with open(os.path.join(ctx.work, "summary.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"(summary in {os.path.join(ctx.work, 'summary.txt')}; geolocation: IP geolocation by DB-IP, "
          "https://db-ip.com, CC BY 4.0)")


if __name__ == "__main__":
    main()
