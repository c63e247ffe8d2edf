"""Observability stack: Loki logs, Jaeger traces, the OpenTelemetry collector, Grafana."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.findings import Finding

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text: str) -> float:
    """Prometheus/Loki durations (``720h``, ``30d``, ``1h30m``, ``0s``) in seconds."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


@dataclass(frozen=True, slots=True)
class ServiceLogs:
    service: str
    lookback_minutes: int
    lines: tuple[str, ...]
    newest: dt.datetime | None


def logs_present_findings(logs: ServiceLogs, label: str) -> list[Finding]:
    if logs.lines:
        return []
    return [
        Finding(
            f"no logs of {logs.service} in Loki in the last {logs.lookback_minutes} minutes",
            expected=f'log lines for {{{label}="{logs.service}"}}',
            found="no stream, no line",
            fix="check the log agent ships this service's logs with the right label",
        )
    ]


def structured_findings(logs: ServiceLogs, min_ratio: float) -> list[Finding]:
    if not logs.lines:
        return [
            Finding(
                f"no logs of {logs.service} to judge in the last {logs.lookback_minutes} min",
                expected="recent log lines",
                found="none",
                fix="ship the service's logs to Loki first (see OPS-LOGGING)",
            )
        ]
    structured = sum(1 for line in logs.lines if _is_json_object(line))
    ratio = structured / len(logs.lines)
    if ratio < min_ratio:
        sample = next(line for line in logs.lines if not _is_json_object(line))
        return [
            Finding(
                f"only {structured} of {len(logs.lines)} recent log lines of {logs.service} "
                "are JSON objects",
                expected=f"at least {min_ratio:.0%} structured lines",
                found=f"{ratio:.0%}; e.g. {sample[:120]!r}",
                fix="log one JSON object per line",
            )
        ]
    return []


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class LokiRetention:
    retention_enabled: bool
    retention_period: str  # as configured, e.g. "744h"


def log_retention_findings(retention: LokiRetention, required_days: int) -> list[Finding]:
    if not retention.retention_enabled:
        return []  # Loki deletes nothing itself
    seconds = parse_duration(retention.retention_period)
    if seconds == 0:
        return []  # 0 disables deletion
    if seconds < required_days * 86400:
        return [
            Finding(
                f"Loki deletes logs after {seconds / 86400:g} days",
                expected=f"retention_period >= {required_days}d ({required_days * 24}h)",
                found=f"limits_config.retention_period: {retention.retention_period}",
                fix=f"set limits_config.retention_period to at least {required_days * 24}h",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class ServiceTraces:
    service: str
    known: bool
    known_services: tuple[str, ...]
    recent_traces: int
    lookback_minutes: int


def tracing_findings(traces: ServiceTraces) -> list[Finding]:
    if not traces.known:
        return [
            Finding(
                f"Jaeger does not know service {traces.service}",
                expected=f"{traces.service} in /api/services",
                found=f"services: {', '.join(traces.known_services) or 'none'}",
                fix="instrument the service with OpenTelemetry and export traces to the "
                "collector (OTEL_SERVICE_NAME must match)",
            )
        ]
    if traces.recent_traces == 0:
        return [
            Finding(
                f"no traces of {traces.service} in the last {traces.lookback_minutes} minutes",
                expected="at least one recent trace",
                found="0 traces",
                fix="check the service still exports (sampler, exporter endpoint, collector)",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class HealthAnswer:
    status_code: int
    status: str


def collector_findings(answer: HealthAnswer) -> list[Finding]:
    if answer.status_code == 200 and answer.status == "Server available":
        return []
    return [
        Finding(
            "OpenTelemetry collector is not healthy",
            expected="HTTP 200, status 'Server available'",
            found=f"HTTP {answer.status_code}, status {answer.status!r}",
            fix="read the collector's logs; check its pipelines and exporters",
        )
    ]


@dataclass(frozen=True, slots=True)
class DatasourceHealth:
    name: str
    type: str
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class GrafanaState:
    database: str
    version: str
    datasources: tuple[DatasourceHealth, ...]


def grafana_findings(state: GrafanaState) -> list[Finding]:
    findings: list[Finding] = []
    if state.database != "ok":
        findings.append(
            Finding(
                "Grafana's database is not ok",
                expected="/api/health database: ok",
                found=f"database: {state.database}",
                fix="check Grafana's database connection and logs",
            )
        )
    if not state.datasources:
        findings.append(
            Finding(
                "Grafana has no datasource",
                expected="at least one datasource",
                found="none",
                fix="provision the datasources (Prometheus, Loki, Jaeger)",
            )
        )
    for ds in state.datasources:
        if ds.status.upper() not in ("OK", "UNKNOWN"):  # UNKNOWN: plugin has no health check
            findings.append(
                Finding(
                    f"datasource {ds.name} ({ds.type}) is not healthy",
                    expected="health status OK",
                    found=f"{ds.status}: {ds.message}",
                    fix="fix the datasource's URL or credentials in Grafana",
                )
            )
    return findings


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str


def dashboard_findings(dashboards: Sequence[Dashboard], required: Sequence[str]) -> list[Finding]:
    have = {d.uid.lower() for d in dashboards} | {d.title.lower() for d in dashboards}
    missing = [r for r in required if r.lower() not in have]
    if not missing:
        return []
    return [
        Finding(
            f"Grafana lacks required dashboard{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}",
            expected="a dashboard with each required uid or title",
            found=f"{len(dashboards)} dashboards: "
            + ", ".join(f"{d.title} ({d.uid})" for d in dashboards[:10]),
            fix="provision the dashboards (as code) in Grafana",
        )
    ]


@dataclass(frozen=True, slots=True)
class GrafanaAccess:
    default_password_accepted: bool
    anonymous_admin: bool
    anonymous_status: int


def grafana_access_findings(access: GrafanaAccess, admin_user: str) -> list[Finding]:
    findings: list[Finding] = []
    if access.default_password_accepted:
        findings.append(
            Finding(
                f"Grafana accepts the default password for {admin_user!r}",
                expected="the default admin password rejected (HTTP 401)",
                found="HTTP 200 on /api/user with the default credentials",
                fix="change the admin password (grafana-cli admin reset-admin-password)",
            )
        )
    if access.anonymous_admin:
        findings.append(
            Finding(
                "Grafana gives anonymous users admin rights",
                expected="anonymous requests to admin APIs rejected (401/403)",
                found=f"HTTP {access.anonymous_status} on /api/datasources without credentials",
                fix="set [auth.anonymous] enabled = false, or org_role = Viewer",
            )
        )
    return findings
