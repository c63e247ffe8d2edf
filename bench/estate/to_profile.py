#!/usr/bin/env python3
"""Adapter: an estate's inventory.json -> a `readiness` profile (pytest --profile=PATH).

    python3 to_profile.py DIR [--out DIR/estate-profile.yaml] [--latency-requests N]
                              [--concurrency 32] [--base PATH/base.yaml]

Covers every family the estate offers:
- http: one service per inventory service (health/ready JSON, metrics with the two metric
  families the estate exports, /admin as a private path and as a default-credential probe
  admin/admin, latency on /health), TLS trusted through `ca_file: DIR/ca.pem`;
- kubernetes: one live cluster through DIR/kubeconfig (context `estate`, its CA embedded),
  the inventory's namespaces;
- alerting: targets.prometheus / targets.alertmanager (plain http), runbook reachability
  with `alerting.runbooks.ca_file: DIR/ca.pem` (the runbook server speaks HTTPS);
- slo: one inline objective per inventory SLO (target in percent, 30d, error/total ratio);
- operations: reads the same Prometheus/Alertmanager/cluster (no extra targets);
- dora: records into <report dir>/dora.sqlite (base default).

Policy knobs are set only where the inventory documents the estate's own convention
(label set, image registry, every Deployment scalable, 30-day test certificates, receiver
names); everything else is base.yaml's practice. Secrets are not written: the estate's
bearer token lives in DIR/kubeconfig.
"""

import argparse
import json
import sys
from pathlib import Path

import yaml


def base_profile(explicit):
    """Absolute path of the project's base.yaml (the bundled copy, else ./profiles)."""
    if explicit:
        return str(Path(explicit).resolve())
    try:
        from readiness.profile import bundled_profiles_dir

        path = bundled_profiles_dir() / "base.yaml"
        if path.is_file():
            return str(path.resolve())
    except ImportError:
        pass
    path = Path("profiles/base.yaml")
    if path.is_file():
        return str(path.resolve())
    sys.exit("cannot find the project's base.yaml: pass --base")


def service_entry(s, ca):
    return {
        "name": s["name"],
        "url": s["url"],
        "ca_file": ca,
        "health": {"path": "/health", "json": {"status": "ok"}},
        "ready": {"path": "/ready", "json": {"status": "ready"}},
        "metrics": {
            "path": "/metrics",
            "required": ["http_requests_total", "http_request_duration_seconds"],
        },
        "private_paths": ["/admin"],
        "default_credentials": [{"path": "/admin", "username": "admin", "password": "admin"}],
        "latency": {"path": "/health"},
    }


def slo_entry(slo):
    s = slo["service"]
    # objective named as the estate names the SLO: its burn-rate rules carry label slo=<that name>
    return {
        "service": s,
        "objectives": [
            {
                "name": slo["name"],
                "target": round(slo["target"] * 100, 6),
                "window": slo["window"],
                "sli": {
                    "error": f'sum(rate(http_requests_total{{service="{s}",code=~"5.."}}[{{{{.window}}}}]))',
                    "total": f'sum(rate(http_requests_total{{service="{s}"}}[{{{{.window}}}}]))',
                },
            }
        ],
    }


def build(inv, base, latency_requests=None, concurrency=32):
    ca = inv["ca"]
    k8s, prom, am = inv["kubernetes"], inv["prometheus"], inv["alertmanager"]
    paging = am["routes"].get("critical", am["default_receiver"])
    http_policy = {
        "concurrency": concurrency,
        # the estate's test CA issues 30-day certificates at every `up` (clean by design)
        "tls": {"expiry_warn_days": 14, "expiry_fail_days": 7},
        "latency": {"p95_ms": 1000},  # estate: 50 ms answers; `slow` services take --slow-ms
    }
    if latency_requests:
        http_policy["latency"]["requests"] = latency_requests
    return {
        "extends": base,
        "environment": "estate",
        "description": f"Synthetic estate {inv['out']} ({json.dumps(inv['sizes'])})",
        "release": {"kind": "feature", "version": "1.0.0"},
        "http": http_policy,
        "kubernetes": {
            "scalable": ["*"],  # every estate Deployment has an HPA unless flawed `no_hpa`
            "required_labels": ["app.kubernetes.io/name"],
            "allowed_registries": ["registry.example.com"],
        },
        "alerting": {
            "runbooks": {"ca_file": ca},
            "escalation_receivers": [paging],
        },
        "operations": {"escalation": {"levels": [paging]}},
        "targets": {
            "services": [service_entry(s, ca) for s in inv["services"]],
            "kubernetes": [
                {
                    "name": "estate",
                    "kubeconfig": k8s["kubeconfig"],
                    "context": k8s["context"],
                    "namespaces": list(k8s["namespaces"]),
                }
            ],
            "prometheus": {"url": prom["url"]},
            "alertmanager": {"url": am["url"]},
        },
        "slos": [slo_entry(s) for s in inv["slos"]],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("estate", help="estate directory (or its inventory.json)")
    p.add_argument(
        "--out", help="profile to write (default: DIR/estate-profile.yaml); '-' for stdout"
    )
    p.add_argument(
        "--latency-requests",
        type=int,
        default=None,
        help="HTTP-LATENCY samples per service (default: base.yaml's http.latency.requests)",
    )
    p.add_argument(
        "--concurrency", type=int, default=32, help="http.concurrency (default 32, as the probe)"
    )
    p.add_argument("--base", help="base.yaml to extend (default: the installed package's)")
    a = p.parse_args()
    src = Path(a.estate)
    inv_path = src / "inventory.json" if src.is_dir() else src
    inv = json.loads(inv_path.read_text())
    profile = build(inv, base_profile(a.base), a.latency_requests, a.concurrency)
    text = (
        "# written by to_profile.py from "
        + str(inv_path.resolve())
        + "\n"
        + yaml.safe_dump(profile, sort_keys=False, width=120)
    )
    if a.out == "-":
        sys.stdout.write(text)
        return
    out = Path(a.out) if a.out else inv_path.parent / "estate-profile.yaml"
    out.write_text(text)
    print(out)


if __name__ == "__main__":
    main()
