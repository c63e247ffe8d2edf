"""Demo of the operations checklist: a real Prometheus and Alertmanager, local servers with
the recorded Loki, Grafana, Jaeger and OpenTelemetry collector API shapes, and a seeded
repository (runbooks, rollback document, post-mortem template) and backup directories.

Deliberate flaws: a stale backup set, a backup that shrank, alerts and an incident type
without runbook, a dead runbook link, an escalation level that notifies nobody, a service
without logs and one with unstructured logs, 7 days of log retention, a service without
traces, a failing Grafana datasource, Grafana's default admin password, a missing
dashboard, a post-mortem template without action items, an expired attestation.
Disaster recovery: an S3 stand-in over HTTPS (:13005, the recorded ListObjectsV2
documents, SigV4 checked) holds a fresh signed copy of orders-db in another region and a
stale, public copy of uploads in the primary's own region.
Fixed ports 13000-13099.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import requests
import yaml

from readiness.demo import Component, promstack
from readiness.demo._operations_api import (
    CollectorState,
    GrafanaState,
    JaegerState,
    LokiState,
    RecordedApiServer,
    S3State,
    collector_routes,
    grafana_routes,
    jaeger_routes,
    loki_routes,
    s3_routes,
    static_files,
)
from readiness.demo.http import tls_context
from readiness.demo.procs import ManagedProcess
from readiness.demo.tls import issue, make_ca

ORDER = 80

LOKI, GRAFANA, JAEGER, OTEL, RUNBOOKS, S3 = 13000, 13001, 13002, 13003, 13004, 13005
ALERTMANAGER, PROMETHEUS = 13010, 13011
GRAFANA_TOKEN = "glsa_demo_operations_token"
#: The demo profile reads them as ${DEMO_S3_ACCESS_KEY_ID:-...}, ${DEMO_S3_SECRET_ACCESS_KEY:-...}.
S3_KEY_ID, S3_SECRET = "AKIADEMOREADINESS01", "demo-dr-listing-secret-4f7Qp2"

AM_YML = """\
route:
  receiver: team-mail
  group_by: [alertname]
  routes:
    - matchers: ['severity="critical"']
      receiver: oncall-engineer
      routes:
        - {matchers: ['escalation="2"'], receiver: tech-lead}
        - {matchers: ['escalation="3"'], receiver: engineering-manager}
        - {matchers: ['escalation="4"'], receiver: cto}
receivers:
  - name: team-mail
    email_configs: [{to: "team@example.com", from: "am@example.com", smarthost: "127.0.0.1:25"}]
  - name: oncall-engineer
    pagerduty_configs: [{routing_key: "0123456789abcdef0123456789abcdef"}]
  - name: tech-lead
    pagerduty_configs: [{routing_key: "fedcba9876543210fedcba9876543210"}]
  - name: engineering-manager
  - name: cto
    email_configs: [{to: "cto@example.com", from: "am@example.com", smarthost: "127.0.0.1:25"}]
"""

BACKUP_RULE = """\
      - record: backup_last_success_timestamp_seconds
        expr: vector({at})
        labels: {{job: nightly_backup, instance: {instance}}}
"""

ALERTS_YML = """\
  - name: {group}
    rules:
      - alert: HighErrorRate
        expr: vector(0) > 1
        labels: {{severity: critical}}
        annotations: {{runbook_url: "{runbooks}/HighErrorRate.md"}}
      - alert: DiskFull
        expr: vector(0) > 1
        labels: {{severity: warning}}
        annotations: {{runbook_url: "{runbooks}/disk-full.md"}}
      - alert: CertificateExpiry
        expr: vector(0) > 1
        labels: {{severity: warning}}
"""


def start_prometheus(
    workdir: Path, port: int, alertmanager_port: int, *, interval: str, retention: str
) -> ManagedProcess:
    """Prometheus scraping itself, with ``workdir/rules/*.yml``, sending alerts to the
    Alertmanager on ``alertmanager_port``."""
    return promstack.start_prometheus(
        workdir,
        port,
        interval=interval,
        retention=retention,
        scrape_configs=[
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        ],
        alertmanager_port=alertmanager_port,
    )


def rules_yml(backups: dict[str, int], runbooks: str, group: str) -> str:
    """Recording rules with each backup's last-success time, and three alerts: one with a
    runbook under ``runbooks``, one with a dead runbook link, one without any."""
    records = "".join(BACKUP_RULE.format(at=at, instance=name) for name, at in backups.items())
    return (
        "groups:\n  - name: backups\n    rules:\n"
        + records
        + ALERTS_YML.format(group=group, runbooks=runbooks)
    )


ROLLBACK = """\
# Rollback

Decide: the on-call engineer rolls back without asking when the release breaks an SLO.

    kubectl rollout undo deployment/checkout -n shop
    kubectl rollout status deployment/checkout -n shop

Then open an incident and write the post-mortem.
"""

POSTMORTEM = """\
# Post-mortem: <title>

## Summary
## Impact
## Timeline
## Root cause
"""


def _seed_backups(root: Path, now: dt.datetime) -> None:
    for name, newest_age, last_size in (("orders-db", 0, 52_000), ("uploads", 3, 9_000)):
        directory = root / name
        directory.mkdir(parents=True, exist_ok=True)
        for age in range(newest_age, newest_age + 31):
            stamp = (now - dt.timedelta(days=age)).replace(hour=2, minute=15, second=0)
            if stamp > now:
                stamp -= dt.timedelta(days=1)
            size = 50_000 + age * 10 if name == "orders-db" else 9_000
            if age == newest_age:
                size = last_size
            (directory / f"{name}-{stamp:%Y-%m-%dT%H%M%S}Z.sql.gz").write_bytes(b"\0" * size)
    shrunk = root / "analytics-db"
    shrunk.mkdir(parents=True, exist_ok=True)
    for age in range(0, 31):
        stamp = (now - dt.timedelta(days=age, hours=1)).replace(second=0, microsecond=0)
        size = 400 if age == 0 else 40_000
        (shrunk / f"analytics-{stamp:%Y%m%d_%H%M%S}.dump").write_bytes(b"\0" * size)


def _seed_repository(root: Path) -> None:
    runbooks = root / "runbooks"
    runbooks.mkdir(parents=True, exist_ok=True)
    for name in ("HighErrorRate", "database-outage"):
        (runbooks / f"{name}.md").write_text(f"# {name}\n\nSymptoms, dashboards, mitigation.\n")
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "rollback.md").write_text(ROLLBACK)
    (docs / "postmortem-template.md").write_text(POSTMORTEM)
    ci = root / ".ci"
    ci.mkdir(parents=True, exist_ok=True)
    (ci / "pipeline.yml").write_text("stages: [test, build, deploy]\n")


def _offsite_buckets(now: dt.datetime) -> list[S3State]:
    """orders-db copied hourly after each nightly dump to eu-central-1 (signed access);
    uploads copied to a public bucket in eu-west-1 that stopped three days ago."""
    orders: dict[str, tuple[dt.datetime, int]] = {"orders-db/": (now - dt.timedelta(days=40), 0)}
    for age in range(0, 31):
        at = (now - dt.timedelta(days=age)).replace(hour=2, minute=40, second=0, microsecond=0)
        if at > now:
            at -= dt.timedelta(days=1)
        orders[f"orders-db/orders-db-{at:%Y-%m-%dT%H%M%S}Z.sql.gz"] = (at, 50_000 + age * 10)
    uploads = {
        f"uploads/uploads-{at:%Y-%m-%d}.tar.zst": (at, 9_000)
        for at in (now - dt.timedelta(days=age, hours=1) for age in range(3, 10))
    }
    return [
        S3State("acme-dr-orders", "eu-central-1", orders, (S3_KEY_ID, S3_SECRET), page_size=10),
        S3State("acme-public-uploads", "eu-west-1", uploads),
    ]


def start_s3(root: Path, now: dt.datetime, port: int = S3) -> RecordedApiServer:
    """The S3 stand-in over HTTPS, its CA in ``root/s3-tls/ca.pem``."""
    tls_dir = root / "s3-tls"
    ca = make_ca(tls_dir, name="readiness demo S3 CA", days=400)
    cert = issue(ca, tls_dir, "s3", days=200)
    routes = {}
    for bucket in _offsite_buckets(now):
        routes.update(s3_routes(bucket))
    return RecordedApiServer("s3", routes, port, tls=tls_context(cert))


def start(workdir: Path) -> Component:
    root = workdir / "operations"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    _seed_repository(root)
    _seed_backups(root / "backups", now)

    json_line = json.dumps({"level": "info", "msg": "order placed", "order_id": "o-42"})
    servers: list[RecordedApiServer] = []
    procs: list[ManagedProcess] = []

    def stop() -> None:
        for proc in reversed(procs):
            proc.stop()
        for server in servers:
            server.stop()

    try:
        loki_state = LokiState(
            logs={"checkout": [json_line] * 20, "cart": ["GET /cart 200 12ms"] * 20},
            retention_period="168h",
        )
        servers.append(RecordedApiServer("loki", loki_routes(loki_state), LOKI))
        grafana_state = GrafanaState(
            admin_password="admin", api_token=GRAFANA_TOKEN, failing_datasources={"jaeger"}
        )
        servers.append(RecordedApiServer("grafana", grafana_routes(grafana_state), GRAFANA))
        jaeger_state = JaegerState(traces={"checkout": 5})
        servers.append(RecordedApiServer("jaeger", jaeger_routes(jaeger_state), JAEGER))
        servers.append(RecordedApiServer("otel", collector_routes(CollectorState()), OTEL))
        servers.append(RecordedApiServer("runbooks", static_files(root / "runbooks"), RUNBOOKS))
        servers.append(start_s3(root, now))

        procs.append(
            promstack.start_alertmanager(
                root / "alertmanager", ALERTMANAGER, yaml.safe_load(AM_YML)
            )
        )
        prom_dir = root / "prometheus"
        (prom_dir / "rules").mkdir(parents=True)
        fresh = int((now - dt.timedelta(hours=5)).timestamp())
        (prom_dir / "rules" / "ops.yml").write_text(
            rules_yml({"orders-db": fresh}, f"http://127.0.0.1:{RUNBOOKS}", "shop")
        )
        procs.append(
            start_prometheus(prom_dir, PROMETHEUS, ALERTMANAGER, interval="5s", retention="15d")
        )
        wait_until_evaluated(f"http://127.0.0.1:{PROMETHEUS}", procs[-1])
    except BaseException:
        stop()
        raise
    return Component(
        "operations",
        f"Prometheus :{PROMETHEUS}, Alertmanager :{ALERTMANAGER}, recorded Loki :{LOKI}, "
        f"Grafana :{GRAFANA}, Jaeger :{JAEGER}, OTel collector :{OTEL}, S3 (HTTPS) :{S3}; "
        f"repository and backups in {root}",
        stop,
        {
            "DEMO_GRAFANA_TOKEN": GRAFANA_TOKEN,
            "DEMO_S3_ACCESS_KEY_ID": S3_KEY_ID,
            "DEMO_S3_SECRET_ACCESS_KEY": S3_SECRET,
        },
    )


def wait_until_evaluated(
    url: str, proc: ManagedProcess, backups: int = 1, timeout: float = 60
) -> None:
    """Until the backup rules have been evaluated (``backups`` series) and the
    Alertmanager discovered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            series = requests.get(
                f"{url}/api/v1/query",
                params={"query": "backup_last_success_timestamp_seconds"},
                timeout=2,
            ).json()["data"]["result"]
            ams = requests.get(f"{url}/api/v1/alertmanagers", timeout=2).json()["data"]
            if len(series) >= backups and ams["activeAlertmanagers"]:
                return
        except (requests.RequestException, KeyError, ValueError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"Prometheus {url} did not evaluate its rules in time:\n{proc.log_tail()}")
