"""The operations checks end to end: pytest --profile against real Prometheus and
Alertmanager, real backup files, and local servers with the recorded Loki, Grafana,
Jaeger and OpenTelemetry collector API shapes (those four cannot be installed here)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from readiness.demo._operations_api import (
    CollectorState,
    GrafanaState,
    JaegerState,
    LokiState,
    collector_routes,
    grafana_routes,
    jaeger_routes,
    loki_routes,
    static_files,
)
from tests.fixtures.operations import PromStack, Start, run_checks

pytestmark = pytest.mark.integration


def _daily(
    directory: Path, now: dt.datetime, days: int, newest_age: int = 0, last: int = 1000
) -> None:
    directory.mkdir(parents=True)
    for age in range(newest_age, newest_age + days):
        stamp = now - dt.timedelta(days=age, minutes=30)
        size = last if age == newest_age else 1000
        (directory / f"db-{stamp:%Y%m%dT%H%M%S}.dump").write_bytes(b"x" * size)


def _project(root: Path, now: dt.datetime) -> None:
    (root / "runbooks").mkdir()
    for name in ("HighErrorRate", "disk-full", "database-outage"):
        (root / "runbooks" / f"{name}.md").write_text(f"# {name}\n")
    (root / "docs").mkdir()
    (root / "docs" / "rollback.md").write_text(
        "Roll back: `kubectl rollout undo deployment/shop`\n"
    )
    (root / "docs" / "postmortem.md").write_text("# Summary\n# Impact\n# Timeline\n")
    (root / "rules").mkdir()
    (root / "rules" / "queue.yml").write_text(
        "groups:\n  - name: queue\n    rules:\n      - alert: QueueBacklog\n"
        "        expr: queue_depth > 1000\n        labels: {severity: warning}\n"
        "        annotations: {runbook_url: runbooks/disk-full.md}\n"
    )
    _daily(root / "backups" / "good", now, 31)
    _daily(root / "backups" / "stale", now, 31, newest_age=3)
    _daily(root / "backups" / "shrunk", now, 31, last=10)


def _attest(control: str, date: dt.date, **kw: Any) -> dict[str, Any]:
    return {
        "control": control,
        "status": "passed",
        "explanation": f"{control} reviewed",
        "attested_by": "sre-lead@example.com",
        "date": date.isoformat(),
        "frequency": "90d",
        **kw,
    }


def test_operations_checklist_end_to_end(
    pytester: pytest.Pytester,
    recorded_api: Start,
    ops_prometheus: PromStack,
    ops_alertmanagers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    _project(pytester.path, now)
    json_line = json.dumps({"level": "info", "msg": "ok"})
    loki = recorded_api(
        "loki",
        loki_routes(
            LokiState(
                logs={"checkout": [json_line] * 3, "cart": ["plain text"] * 3},
                retention_period="168h",
            )
        ),
    )
    jaeger = recorded_api("jaeger", jaeger_routes(JaegerState(traces={"checkout": 2})))
    otel = recorded_api("otel", collector_routes(CollectorState(available=False)))
    grafana_state = GrafanaState(admin_password="admin", failing_datasources={"loki"})
    monkeypatch.setenv("GRAFANA_TOKEN", grafana_state.api_token)
    grafana = recorded_api("grafana", grafana_routes(grafana_state))
    (pytester.path / "site").mkdir()
    (pytester.path / "site" / "healthz").write_text("ok")
    site = recorded_api("site", static_files(pytester.path / "site"))
    profile = {
        "environment": "test",
        "gate": {"fail_on": "high"},
        "targets": {
            "loki": {"url": loki.url, "retries": 0},
            "jaeger": {"url": jaeger.url, "retries": 0},
            "otel_collector": {"url": otel.url, "retries": 0},
            "grafana": {"url": grafana.url, "auth": {"bearer_token": "${GRAFANA_TOKEN}"}},
            "rule_files": ["rules"],
            "services": [
                {"name": "shop", "url": site.url, "health": {"path": "/healthz"}},
                {"name": "blog", "url": site.url, "health": {"path": "/ready"}},
                {"name": "wiki", "url": site.url},
            ],
            "backups": [
                {"name": "good", "directory": "backups/good", "pattern": "*.dump"},
                {"name": "stale", "directory": "backups/stale", "pattern": "*.dump"},
                {"name": "shrunk", "directory": "backups/shrunk", "pattern": "*.dump"},
                {"name": "gone", "directory": "backups/gone"},
                {
                    "name": "metric",
                    "metric": 'backup_last_success_timestamp_seconds{instance="db-fresh"}',
                },
            ],
        },
        "operations": {
            "prometheus": {"url": ops_prometheus.prometheus},
            "alertmanager": {"url": ops_alertmanagers["good"]},
            "runbooks": {
                "directory": "runbooks",
                "incident_types": ["database-outage", "region-failover"],
            },
            "rollback": {"document": "docs/rollback.md"},
            "postmortem": {"template": "docs/postmortem.md"},
            "logging": {"services": ["checkout", "cart"]},
            "tracing": {"services": ["checkout", "cart"]},
            "grafana": {"required_dashboards": ["slo-golden-signals", "capacity"]},
        },
        "attestations": [
            _attest("OPS-ENV-VALIDATION", today - dt.timedelta(days=10)),
            _attest("OPS-GRACEFUL-SHUTDOWN", today - dt.timedelta(days=120)),
            _attest(
                "OPS-RESTORE-DRILL",
                today - dt.timedelta(days=20),
                frequency=None,
                expires=(today + dt.timedelta(days=70)).isoformat(),
            ),
        ],
    }
    result, got = run_checks(pytester, profile)
    raw = (pytester.path / "reports" / "readiness-report.json").read_text()
    data = json.loads(raw)

    def outcome(control: str, target: str) -> str:
        return str(got[(control, target)]["outcome"])

    assert result.ret == 1
    assert outcome("OPS-RUNBOOKS", "runbooks") == "failed"
    assert "CertificateExpiry" in got[("OPS-RUNBOOKS", "runbooks")]["message"]
    assert "region-failover" in got[("OPS-RUNBOOKS", "runbooks")]["message"]
    links = {t: c for (ctl, t), c in got.items() if ctl == "OPS-RUNBOOK-LINKS"}
    prom = f"prometheus:{ops_prometheus.runbooks}"  # one target per distinct runbook URL
    assert {t: c["outcome"] for t, c in links.items()} == {
        f"{prom}/HighErrorRate.md": "passed",
        f"{prom}/disk-full.md": "warned",  # medium, below the gate
        "prometheus:no-runbook-url": "warned",
        "rule-files:runbooks/disk-full.md": "passed",
    }
    assert links[f"{prom}/disk-full.md"]["evidence"]["alerts"] == ["DiskFull"]
    assert "HTTP 404" in links[f"{prom}/disk-full.md"]["message"]
    assert "CertificateExpiry" in links["prometheus:no-runbook-url"]["message"]
    assert "QueueBacklog" in got[("OPS-RUNBOOKS", "runbooks")]["message"]
    assert outcome("OPS-ONCALL", "alertmanager") == "passed"
    assert outcome("OPS-ESCALATION", "alertmanager") == "failed"
    assert outcome("OPS-ROLLBACK", "rollback-document") == "passed"
    assert outcome("OPS-BACKUP-FRESHNESS", "good") == "passed"
    assert outcome("OPS-BACKUP-FRESHNESS", "stale") == "failed"
    assert outcome("OPS-BACKUP-FRESHNESS", "metric") == "passed"
    assert outcome("OPS-BACKUP-FRESHNESS", "gone") == "error"
    assert "backup directory" in got[("OPS-BACKUP-FRESHNESS", "gone")]["message"]
    assert outcome("OPS-BACKUP-RETENTION", "good") == "passed"
    assert outcome("OPS-BACKUP-SIZE", "shrunk") == "failed"
    assert outcome("OPS-BACKUP-SIZE", "good") == "passed"
    assert outcome("OPS-RESTORE-DRILL", "restore-drill") == "passed"
    assert outcome("OPS-MONITORING", "prometheus") == "passed"
    assert outcome("OPS-LOGGING", "checkout") == "passed"
    assert outcome("OPS-LOG-STRUCTURED", "cart") == "warned"  # low
    assert outcome("OPS-LOG-RETENTION", "loki") == "warned"
    assert outcome("OPS-TRACING", "checkout") == "passed"
    assert outcome("OPS-TRACING", "cart") == "warned"
    assert outcome("OPS-OTEL-COLLECTOR", "otel-collector") == "warned"
    assert outcome("OPS-GRAFANA", "grafana") == "warned"
    assert "datasource Loki (loki) is not healthy" in got[("OPS-GRAFANA", "grafana")]["message"]
    assert outcome("OPS-DASHBOARDS", "grafana") == "warned"
    assert outcome("OPS-GRAFANA-AUTH", "grafana") == "failed"
    assert outcome("OPS-ENV-VALIDATION", "attested") == "passed"
    assert outcome("OPS-GRACEFUL-SHUTDOWN", "attested") == "failed"
    shutdown = got[("OPS-GRACEFUL-SHUTDOWN", "attested")]
    assert "expired on" in shutdown["message"] and "sre-lead@example.com" in shutdown["message"]
    assert shutdown["evidence"]["kind"] == "attestation"
    assert shutdown["evidence"]["attested_by"] == "sre-lead@example.com"
    assert got[("OPS-ENV-VALIDATION", "attested")]["evidence"]["kind"] == "attestation"
    assert outcome("OPS-CICD", "attested") == "failed"
    assert (
        "no attestation for the tested CI/CD pipeline" in got[("OPS-CICD", "attested")]["message"]
    )
    assert outcome("OPS-POSTMORTEM-TEMPLATE", "postmortem-template") == "warned"
    assert outcome("OPS-HEALTHCHECKS", "shop") == "passed"
    assert outcome("OPS-HEALTHCHECKS", "blog") == "failed"
    assert "found:    HTTP 404" in got[("OPS-HEALTHCHECKS", "blog")]["message"]
    assert outcome("OPS-HEALTHCHECKS", "wiki") == "failed"
    assert "wiki declares no health endpoint" in got[("OPS-HEALTHCHECKS", "wiki")]["message"]
    assert got[("OPS-LOGGING", "checkout")]["evidence"]["kind"] == "automated"
    assert grafana_state.api_token not in raw
    register = {a["control"]: a for a in data["attestations"]}
    assert register["OPS-GRACEFUL-SHUTDOWN"]["state"] == "expired"
    assert register["OPS-ENV-VALIDATION"]["state"] == "valid"
    assert (
        register["OPS-RESTORE-DRILL"]["valid_until"] == (today + dt.timedelta(days=70)).isoformat()
    )
    html = (pytester.path / "reports" / "readiness-report.html").read_text()
    assert "Manual attestations" in html and "sre-lead@example.com" in html
