#!/usr/bin/env python3
"""Synthetic production estate on 127.0.0.1 for measuring a readiness gate (see README.md).

`up` starts HTTPS services, a Kubernetes API stand-in, a runbook server, real Prometheus
(30 days of backfilled SLO history, alerting rules) and Alertmanager in the background and
writes DIR/inventory.json; `status` shows their PIDs and RSS, `probe` runs the sequential vs
concurrent reference baseline, `down` stops exactly the PIDs in DIR/pids/.
"""

import argparse
import base64
import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from om_backfill import write_backfill

HERE = Path(__file__).resolve().parent
PER_SHARD = 50  # services per server process
SERVICE_FLAWS = ("no_hsts", "health_500", "slow", "default_credentials")
WORKLOAD_FLAWS = ("no_probes", "no_limits", "no_run_as_non_root", "latest_tag", "no_pdb", "no_hpa")
RULE_FLAWS = ("no_runbook_url", "no_severity", "runbook_404")
TARGETS = (0.999, 0.995, 0.99, 0.9995)
TEAMS = [
    "payments",
    "checkout",
    "catalog",
    "search",
    "identity",
    "orders",
    "shipping",
    "billing",
    "inventory",
    "notifications",
    "reviews",
    "analytics",
    "ads",
    "media",
    "messaging",
    "profile",
    "pricing",
    "fraud",
    "gateway",
    "platform",
]
ROUTES = {"critical": "pager", "warning": "tickets", "info": "chat"}  # severity -> receiver
GENERIC_RULES = [  # alert, expr, for, severity, summary ({s}: service)
    ("ServiceDown", 'up{{job="{s}"}} == 0', "5m", "critical", "{s} is down"),
    (
        "HighErrorRate",
        'sum(rate(http_requests_total{{service="{s}",code=~"5.."}}[5m])) / '
        'sum(rate(http_requests_total{{service="{s}"}}[5m])) > 0.05',
        "10m",
        "critical",
        "{s} serves > 5% errors",
    ),
    (
        "HighLatencyP99",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
        '{{service="{s}"}}[5m]))) > 1',
        "10m",
        "warning",
        "{s} p99 latency above 1s",
    ),
    (
        "PodRestartingOften",
        'increase(kube_pod_container_status_restarts_total{{container="{s}"}}[1h]) > 5',
        "15m",
        "warning",
        "{s} containers restart often",
    ),
    (
        "CertificateExpiringSoon",
        'probe_ssl_earliest_cert_expiry{{service="{s}"}} - time() < 14 * 86400',
        "1h",
        "info",
        "{s} certificate expires within 14 days",
    ),
]
BURN_RULES = [
    ("ErrorBudgetBurnFast", "1h", "5m", 14.4, "2m", "critical"),  # alert, long, short, factor,
    ("ErrorBudgetBurnSlow", "6h", "30m", 6, "15m", "warning"),
]  # for, severity


def spread(n, kinds, ratio=0.1, shift=0):
    """Evenly spaced flaws {index: kind}: ~ratio of n, every kind at least once."""
    k = min(n, max(len(kinds), round(n * ratio)))
    return {(int((j + 0.5) * n / k) + shift) % n: kinds[j % len(kinds)] for j in range(k)}


def error_ratio_expr(service, window):
    return (
        f'sum(rate(http_requests_total{{service="{service}",code=~"5.."}}[{window}])) / '
        f'sum(rate(http_requests_total{{service="{service}"}}[{window}]))'
    )


def slo_history(i, target, status):
    """Base error ratio and one incident (ago_s, duration_s, ratio) consuming a known budget share."""
    consumed, ago_h, dur_h = {
        "healthy": (0.15 + 0.05 * (i % 5), 24 * (5 + i % 20), 2),
        "nearly_exhausted": (0.92, 24 * 7, 12),
        "exhausted": (1.25, 24, 24),
    }[status]
    budget, f = 1 - target, dur_h / (30 * 24)
    base = consumed * budget / 2
    return base, [ago_h * 3600, dur_h * 3600, min(1.0, (consumed * budget - base * (1 - f)) / f)]


def build_plan(a):
    if a.slos > a.services:
        sys.exit("--slos must not exceed --services (one SLO per service)")
    sflaws, wflaws = spread(a.services, SERVICE_FLAWS), spread(a.workloads, WORKLOAD_FLAWS)
    nflaws = spread(a.namespaces, ["no_network_policy"], shift=2)
    states, no_alert = (
        spread(a.slos, ["exhausted", "nearly_exhausted"], 0.2),
        spread(a.slos, ["x"], 0.1, 1),
    )
    services = [
        {
            "name": f"svc-{i:03d}",
            "shard": i // PER_SHARD,
            "version": f"1.{i % 9}.{i % 4}",
            "flaws": [sflaws[i]] if i in sflaws else [],
            "admin_password": secrets.token_urlsafe(12),
        }
        for i in range(a.services)
    ]
    namespaces = [
        {
            "name": TEAMS[i % len(TEAMS)] + (f"-{i // len(TEAMS)}" if i >= len(TEAMS) else ""),
            "flaws": [nflaws[i]] if i in nflaws else [],
        }
        for i in range(a.namespaces)
    ]
    workloads = [
        {
            "index": i,
            "name": f"app-{i:04d}",
            "replicas": 3 if i % 3 == 0 else 2,
            "namespace": namespaces[(i + i // a.namespaces) % a.namespaces][
                "name"
            ],  # flaws spread over all
            "flaws": [wflaws[i]] if i in wflaws else [],
        }
        for i in range(a.workloads)
    ]
    slos = []
    for i in range(a.slos):
        target, status = TARGETS[i % len(TARGETS)], states.get(i, "healthy")
        base, incident = slo_history(i, target, status)
        slos.append(
            {
                "name": f"svc-{i:03d}-availability",
                "service": f"svc-{i:03d}",
                "target": target,
                "window": "30d",
                "status": status,
                "flaws": ["no_burn_rate_alert"] if i in no_alert else [],
                "history": {"error_ratio": base, "incident": incident},
            }
        )
    rules = build_rules(a.rules, slos, services)
    return {
        "created": int(time.time()),
        "latency_ms": a.latency_ms,
        "slow_ms": a.slow_ms,
        "k8s_token": secrets.token_urlsafe(32),
        "services": services,
        "namespaces": namespaces,
        "workloads": workloads,
        "slos": slos,
        "rules": rules,
        "runbooks_missing": [r["runbook"] for r in rules if "runbook_404" in r["flaws"]],
    }


def build_rules(n, slos, services):
    rules = []
    for slo in (s for s in slos if "no_burn_rate_alert" not in s["flaws"]):
        s, budget = slo["service"], round(1 - slo["target"], 6)
        for alert, long, short, factor, for_, sev in BURN_RULES:
            rules.append(
                {
                    "alert": alert,
                    "service": s,
                    "slo": slo["name"],
                    "severity": sev,
                    "for": for_,
                    "expr": f"({error_ratio_expr(s, long)} > {factor} * {budget}) and "
                    f"({error_ratio_expr(s, short)} > {factor} * {budget})",
                    "summary": f"{s} burns its 30d error budget {factor}x too fast",
                    "file": "slo-burn-rate.yml",
                    "group": f"{s}-slo",
                }
            )
    for k in range(max(0, n - len(rules))):
        s, t = services[k % len(services)]["name"], k // len(services)
        alert, expr, for_, sev, summary = GENERIC_RULES[t % len(GENERIC_RULES)]
        rules.append(
            {
                "alert": alert + (str(t // len(GENERIC_RULES)) if t >= len(GENERIC_RULES) else ""),
                "service": s,
                "slo": None,
                "severity": sev,
                "for": for_,
                "expr": expr.format(s=s),
                "summary": summary.format(s=s),
                "file": "services.yml",
                "group": s,
            }
        )
    rules, flaws = rules[:n], spread(min(n, len(rules)), RULE_FLAWS, shift=3)
    for i, r in enumerate(rules):
        r["flaws"] = [flaws[i]] if i in flaws else []
        r["runbook"] = (
            f"{r['service']}/{''.join('-' + c.lower() if c.isupper() else c for c in r['alert'])[1:]}"
        )
    return rules


def rules_files(rules, runbooks_url):
    files = {}
    for r in rules:
        labels = {"service": r["service"], **({"slo": r["slo"]} if r["slo"] else {})}
        if "no_severity" not in r["flaws"]:
            labels["severity"] = r["severity"]
        annotations = {
            "summary": r["summary"],
            "description": f"{r['summary']} (value {{{{ $value }}}})",
        }
        if "no_runbook_url" not in r["flaws"]:
            annotations["runbook_url"] = f"{runbooks_url}/runbooks/{r['runbook']}"
        groups = files.setdefault(r["file"], {})
        groups.setdefault(r["group"], []).append(
            {
                "alert": r["alert"],
                "expr": r["expr"],
                "for": r["for"],
                "labels": labels,
                "annotations": annotations,
            }
        )
    return {
        f: yaml.safe_dump(
            {"groups": [{"name": g, "rules": rs} for g, rs in groups.items()]}, sort_keys=False
        )
        for f, groups in files.items()
    }


def make_certs(out, days=30):
    now = dt.datetime.now(dt.UTC)

    def build(subject, key, issuer, issuer_key, extensions):
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        )
        for ext, critical in extensions:
            b = b.add_extension(ext, critical)
        return b.sign(issuer_key, hashes.SHA256())

    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build(
        name("estate test CA"),
        ca_key,
        name("estate test CA"),
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (x509.KeyUsage(True, False, False, False, False, True, True, False, False), True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    cert = build(
        name("127.0.0.1"),
        key,
        ca.subject,
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            ),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    pem = serialization.Encoding.PEM
    (out / "ca.pem").write_bytes(ca.public_bytes(pem))
    (out / "tls" / "server.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (out / "tls" / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


# --- processes ----------------------------------------------------------------------------


def proc_state(pid):
    """(state, start time) from /proc/PID/stat, or None if there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        return None


def pidfiles(out):
    """(pidfile, pid, alive): alive only if it is still the process we started (start time)."""
    for f in sorted((out / "pids").glob("*.pid")):
        pid, start = f.read_text().split()
        st = proc_state(int(pid))
        yield f, int(pid), bool(st and st[0] != "Z" and st[1] == start)


def spawn(out, name, argv, cwd=None):
    with open(out / "logs" / f"{name}.log", "wb") as log:
        p = subprocess.Popen(
            argv,
            cwd=cwd or out,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (out / "pids" / f"{name}.pid").write_text(f"{p.pid} {proc_state(p.pid)[1]}\n")
    return p


def wait_until(out, name, proc, check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (result := check()) is not None:
                return result
        except OSError:
            pass
        if proc.poll() is not None:
            log = (out / "logs" / f"{name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log}")
        time.sleep(0.05)
    raise TimeoutError(f"{name} not ready after {timeout}s")


def run_file(out, name):
    return lambda: json.loads((out / "run" / f"{name}.json").read_text())


def http_ready(port):
    return lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1).status


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    try:
        return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return 0.0


# --- commands -----------------------------------------------------------------------------


def up(a):
    out = Path(a.out).resolve()
    if any(alive for *_, alive in pidfiles(out)):
        sys.exit(f"an estate is already running in {out}; run `down` first")
    t0 = time.monotonic()
    for d in ("run", "prometheus", "alertmanager"):  # state of an earlier run
        shutil.rmtree(out / d, ignore_errors=True)
    for d in ("pids", "logs", "run", "tls", "prometheus/rules", "alertmanager"):
        (out / d).mkdir(parents=True, exist_ok=True)
    make_certs(out)
    plan = build_plan(a)
    (out / "plan.json").write_text(json.dumps(plan))
    servers = [("runbooks", []), ("k8s", [])] + [
        ("services", [str(i)]) for i in range(-(-a.services // PER_SHARD))
    ]
    procs = {}
    try:
        for kind, extra in servers:
            name = "-".join([kind, *extra])
            procs[name] = spawn(
                out, name, [sys.executable, str(HERE / "servers.py"), kind, str(out), *extra]
            )
        rb = wait_until(out, "runbooks", procs["runbooks"], run_file(out, "runbooks"))
        rb_url = f"https://127.0.0.1:{rb['ports']['runbooks']}"
        am, prom = free_port(), free_port()
        (out / "alertmanager" / "alertmanager.yml").write_text(
            alertmanager_yml(rb_url, out / "ca.pem")
        )
        procs["alertmanager"] = spawn(
            out,
            "alertmanager",
            [
                "prometheus-alertmanager",
                "--config.file=alertmanager.yml",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{am}",
                "--cluster.listen-address=",
            ],
            out / "alertmanager",
        )
        history = backfill(out, plan)  # the slow part: meanwhile the servers start
        for name, text in rules_files(plan["rules"], rb_url).items():
            (out / "prometheus" / "rules" / name).write_text(text)
        (out / "prometheus" / "prometheus.yml").write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "15s", "evaluation_interval": "30s"},
                    "rule_files": ["rules/*.yml"],
                    "alerting": {
                        "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am}"]}]}]
                    },
                    "scrape_configs": [
                        {"job_name": j, "static_configs": [{"targets": [f"127.0.0.1:{p}"]}]}
                        for j, p in (("prometheus", prom), ("alertmanager", am))
                    ],
                },
                sort_keys=False,
            )
        )
        procs["prometheus"] = spawn(
            out,
            "prometheus",
            [  # flags as verified in the Prometheus lab
                "prometheus",
                "--config.file=prometheus.yml",
                "--storage.tsdb.path=data",
                "--storage.tsdb.retention.time=400d",
                f"--web.listen-address=127.0.0.1:{prom}",
                "--web.enable-lifecycle",
                "--rules.alert.resend-delay=1s",
            ],
            out / "prometheus",
        )
        runs = {
            n: wait_until(out, n, p, run_file(out, n))
            for n, p in procs.items()
            if n.startswith(("k8s", "serv"))
        }
        for name, port in (("alertmanager", am), ("prometheus", prom)):
            wait_until(out, name, procs[name], http_ready(port))
    except BaseException:
        down(a)
        raise
    inv = inventory(out, plan, runs, history, rb_url, am, prom, procs)
    inv["up_seconds"] = round(time.monotonic() - t0, 2)
    (out / "inventory.json").write_text(json.dumps(inv, indent=1))
    print(
        json.dumps(
            {
                "inventory": str(out / "inventory.json"),
                "up_seconds": inv["up_seconds"],
                "processes": len(procs),
                "rss_mib": round(sum(rss_mib(p.pid) for p in procs.values())),
            }
        )
    )


def alertmanager_yml(rb_url, ca):
    hook = lambda r: {
        "name": r,
        "webhook_configs": [
            {
                "url": f"{rb_url}/hooks/{r}",
                "send_resolved": True,
                "http_config": {"tls_config": {"ca_file": str(ca)}},
            }
        ],
    }
    return yaml.safe_dump(
        {
            "route": {
                "receiver": "default",
                "group_by": ["alertname", "service"],
                "group_wait": "10s",
                "group_interval": "1m",
                "repeat_interval": "4h",
                "routes": [
                    {"matchers": [f'severity="{s}"'], "receiver": r} for s, r in ROUTES.items()
                ],
            },
            "inhibit_rules": [
                {
                    "source_matchers": ['severity="critical"'],
                    "target_matchers": ['severity="warning"'],
                    "equal": ["service"],
                }
            ],
            "receivers": [hook("default")] + [hook(r) for r in ROUTES.values()],
        },
        sort_keys=False,
    )


def backfill(out, plan):
    """30 days of http_requests_total per SLO service, written and converted to TSDB blocks
    in one process per core; fills in each SLO's exact availability."""
    d, end, slos = out / "prometheus", plan["created"] // 60 * 60, plan["slos"]
    n = max(1, min(os.cpu_count() or 1, len(slos)))
    jobs = [
        (d / f"backfill-{i}", [(s["service"], s["history"]) for s in slos[i::n]], end)
        for i in range(n)
    ]
    with ProcessPoolExecutor(n) as ex:
        totals = {k: v for chunk in ex.map(backfill_chunk, jobs) for k, v in chunk.items()}
    (d / "data").mkdir(exist_ok=True)
    for work, _, _ in jobs:
        for block in (work / "blocks").iterdir() if (work / "blocks").exists() else ():
            block.rename(d / "data" / block.name)
        shutil.rmtree(work)
    for slo in slos:
        t = totals[slo["service"]]
        slo.update(
            requests=t["requests"],
            errors=t["errors"],
            availability=t["availability"],
            error_budget_remaining=1 - (1 - t["availability"]) / (1 - slo["target"]),
        )
    return {"start": end - 30 * 86400, "end": end, "step_s": 60, "metric": "http_requests_total"}


def backfill_chunk(job):
    work, services, end = job
    work.mkdir(parents=True, exist_ok=True)
    hist, part, totals = work / "history.om", work / "part.om", {}
    with open(hist, "w") as f:
        f.write("# HELP http_requests Synthetic HTTP requests.\n# TYPE http_requests counter\n")
        for service, h in services:
            totals[service] = write_backfill(
                part, [service], 30, 60, end, 10.0, h["error_ratio"], [h["incident"]]
            )
            f.writelines(part.read_text().splitlines(True)[2:-1])
        f.write("# EOF\n")
    if services:  # the lab's verified recipe: one pass over the file, 3 blocks for 30 days
        subprocess.run(
            [
                "promtool",
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                "--max-block-duration=744h",
                str(hist),
                str(work / "blocks"),
            ],
            check=True,
            capture_output=True,
        )
    return totals


def inventory(out, plan, runs, history, rb_url, am_port, prom_port, procs):
    ports = {k: v for r in runs.values() for k, v in r["ports"].items()}
    k8s_url = f"https://127.0.0.1:{ports['k8s']}"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "estate",
        "clusters": [
            {
                "name": "estate",
                "cluster": {
                    "server": k8s_url,
                    "certificate-authority-data": base64.b64encode(
                        (out / "ca.pem").read_bytes()
                    ).decode(),
                },
            }
        ],
        "users": [{"name": "estate", "user": {"token": plan["k8s_token"]}}],
        "contexts": [{"name": "estate", "context": {"cluster": "estate", "user": "estate"}}],
    }
    (out / "kubeconfig").write_text(yaml.safe_dump(kubeconfig, sort_keys=False))
    services = []
    for s in plan["services"]:
        url = f"https://127.0.0.1:{ports[s['name']]}"
        services.append(
            {
                "name": s["name"],
                "url": url,
                **{e: f"{url}/{e}" for e in ("health", "ready", "metrics")},
                "admin": f"{url}/admin",
                "stats_url": f"{url}/_stats",
                "flaws": s["flaws"],
                "delay_ms": plan["slow_ms"] if "slow" in s["flaws"] else plan["latency_ms"],
            }
        )
    prom = f"http://127.0.0.1:{prom_port}"
    slos = [
        {
            **{k: v for k, v in s.items() if k != "history"},
            "burn_rate_alerts": [r["alert"] for r in plan["rules"] if r["slo"] == s["name"]],
            "query_time": history["end"],
            "availability_query": f'1 - sum(increase(http_requests_total{{service="{s["service"]}",code=~"5.."}}'
            f'[30d])) / sum(increase(http_requests_total{{service="{s["service"]}"}}[30d]))',
        }
        for s in plan["slos"]
    ]
    rules = [
        {
            "alert": r["alert"],
            "group": r["group"],
            "file": f"rules/{r['file']}",
            "service": r["service"],
            "slo": r["slo"],
            "severity": None if "no_severity" in r["flaws"] else r["severity"],
            "runbook_url": None
            if "no_runbook_url" in r["flaws"]
            else f"{rb_url}/runbooks/{r['runbook']}",
            "flaws": r["flaws"],
        }
        for r in plan["rules"]
    ]
    workloads = [
        {k: w[k] for k in ("namespace", "name", "replicas", "flaws")} for w in plan["workloads"]
    ]
    return {
        "schema": "estate-inventory/1",
        "out": str(out),
        "ca": str(out / "ca.pem"),
        "started_unix": plan["created"],
        "started_at": dt.datetime.fromtimestamp(plan["created"], dt.UTC).isoformat(),
        "latency_ms": plan["latency_ms"],
        "slow_ms": plan["slow_ms"],
        "sizes": {
            k: len(plan[k]) for k in ("services", "workloads", "namespaces", "slos", "rules")
        },
        "services": services,
        "kubernetes": {
            "url": k8s_url,
            "kubeconfig": str(out / "kubeconfig"),
            "context": "estate",
            "token": plan["k8s_token"],
            "stats_url": f"{k8s_url}/_stats",
            "namespaces": [n["name"] for n in plan["namespaces"]],
            "namespace_flaws": {n["name"]: n["flaws"] for n in plan["namespaces"] if n["flaws"]},
            "objects": runs["k8s"]["counts"],
            "workloads": workloads,
            "flawed_workloads": [w for w in workloads if w["flaws"]],
        },
        "prometheus": {
            "url": prom,
            "history": history,
            "rule_files": sorted({r["file"] for r in rules}),
        },
        "alertmanager": {
            "url": f"http://127.0.0.1:{am_port}",
            "default_receiver": "default",
            "routes": ROUTES,
        },
        "runbooks": {"url": rb_url, "stats_url": f"{rb_url}/_stats"},
        "slos": slos,
        "rules": rules,
        "processes": {n: p.pid for n, p in procs.items()},
    }


def down(a):
    out, stopped = Path(a.out).resolve(), []
    for _, pid, alive in pidfiles(out):
        if alive:
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive for *_, alive in pidfiles(out)):
        time.sleep(0.05)
    for f, pid, alive in pidfiles(out):
        if alive:
            os.kill(pid, signal.SIGKILL)
        stopped.append(f"{f.stem}:{pid}")
        f.unlink()
    print(json.dumps({"stopped": stopped}))


def status(a):
    procs = {
        f.stem: {"pid": pid, "alive": alive, "rss_mib": round(rss_mib(pid), 1) if alive else 0}
        for f, pid, alive in pidfiles(Path(a.out).resolve())
    }
    print(
        json.dumps(
            {"processes": procs, "rss_mib": round(sum(p["rss_mib"] for p in procs.values()), 1)},
            indent=1,
        )
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="start the estate and write DIR/inventory.json")
    for flag, default in (
        ("services", 200),
        ("workloads", 2000),
        ("namespaces", 20),
        ("slos", 50),
        ("rules", 500),
        ("latency-ms", 50),
        ("slow-ms", 1500),
    ):
        u.add_argument(f"--{flag}", type=int, default=default)
    pr = sub.add_parser("probe", help="sequential vs concurrent reference baseline")
    pr.add_argument("--workers", type=int, default=32)
    for name in ("down", "status"):
        sub.add_parser(name)
    for s in sub.choices.values():
        s.add_argument("--out", required=True, help="estate directory")
    a = p.parse_args()
    if a.cmd == "probe":
        import probe

        probe.main(Path(a.out).resolve(), a.workers)
    else:
        {"up": up, "down": down, "status": status}[a.cmd](a)


if __name__ == "__main__":
    main()
