"""Live Prometheus and Alertmanager state: targets, cardinality, retention, routing,
firing alerts, silences. Pure: typed evidence in, findings out."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from readiness.findings import Finding
from readiness.profile.alerting import RoutingRequirement
from readiness.rules.alerting_model import (
    AlertmanagerConfig,
    AlertmanagerStatus,
    PromAlert,
    ScrapeTarget,
    Silence,
    TsdbStatus,
    format_duration,
)
from readiness.rules.alerting_routes import RouteMatch, referenced_receivers, route_alert

ROUTE_TEST_ALERTNAME = "ReadinessRouteTest"


def target_findings(targets: Sequence[ScrapeTarget]) -> list[Finding]:
    findings = []
    if not targets:
        findings.append(
            Finding(
                "Prometheus scrapes no targets",
                expected="at least one active scrape target",
                found="no active targets",
                fix="add scrape_configs for the services and exporters",
            )
        )
    for t in targets:
        if t.health == "up":
            continue
        findings.append(
            Finding(
                f"target {t.scrape_url} (job {t.job!r}) is {t.health}"
                + (f": {t.last_error}" if t.last_error else ""),
                expected="every scrape target up",
                found=f"health {t.health}"
                + (f", lastError {t.last_error}" if t.last_error else ""),
                fix="start the exporter/service or fix the scrape config "
                "(address, port, TLS, auth)",
            )
        )
    return findings


def targets_of_service(
    service: str, targets: Sequence[ScrapeTarget], labels: Sequence[str]
) -> list[ScrapeTarget]:
    return [t for t in targets if any(t.labels.get(label) == service for label in labels)]


def service_target_findings(
    service: str, targets: Sequence[ScrapeTarget], labels: Sequence[str]
) -> list[Finding]:
    mine = targets_of_service(service, targets, labels)
    wanted = " or ".join(f'{label}="{service}"' for label in labels)
    if not mine:
        return [
            Finding(
                f"service {service!r} has no scrape target",
                expected=f"a target labelled {wanted}",
                found=f"{len(targets)} targets, none labelled for {service!r}",
                fix="add a scrape config (job name or a `service` target label) for the service",
            )
        ]
    down = [t for t in mine if t.health != "up"]
    return [
        Finding(
            f"service {service!r}: target {t.scrape_url} is {t.health}"
            + (f": {t.last_error}" if t.last_error else ""),
            expected="the service's targets up",
            found=t.last_error or f"health {t.health}",
            fix="start the service or fix its scrape address",
        )
        for t in down
    ]


def exporter_findings(
    name: str, job_pattern: str, targets: Sequence[ScrapeTarget]
) -> list[Finding]:
    mine = [t for t in targets if re.fullmatch(job_pattern, t.job)]
    if not mine:
        return [
            Finding(
                f"declared exporter {name!r} has no scrape target",
                expected=f"targets whose job matches {job_pattern!r}",
                found="jobs: " + (", ".join(sorted({t.job for t in targets})) or "none"),
                fix=f"deploy {name} and add it to the scrape configuration",
            )
        ]
    if not any(t.health == "up" for t in mine):
        return [
            Finding(
                f"declared exporter {name!r}: no target is up",
                expected="at least one target up",
                found="; ".join(f"{t.scrape_url}: {t.last_error or t.health}" for t in mine),
                fix=f"check that {name} runs and is reachable from Prometheus",
            )
        ]
    return []


def cardinality_findings(status: TsdbStatus, limit: int) -> list[Finding]:
    if status.head_series < limit:
        return []
    top = ", ".join(f"{m.name} ({m.series})" for m in status.top_metrics[:5])
    return [
        Finding(
            f"head series {status.head_series} reach the limit {limit}",
            expected=f"fewer than {limit} series in the head block",
            found=f"{status.head_series} series; largest metrics: {top or 'unknown'}",
            fix="drop high-cardinality labels (metric_relabel_configs) or split Prometheus",
        )
    ]


def top_metrics_svg(status: TsdbStatus, limit: int) -> str:
    """A horizontal bar chart of the largest metrics (inline SVG for the HTML report)."""
    metrics = status.top_metrics
    if not metrics:
        return ""
    width, bar_h, label_w = 560, 18, 260
    top = max(m.series for m in metrics)
    rows = []
    for i, m in enumerate(metrics):
        w = max(1, round((width - label_w - 70) * m.series / top))
        y = 24 + i * (bar_h + 4)
        rows.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{html.escape(m.name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#4e79a7"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}">{m.series}</text>'
        )
    height = 30 + len(metrics) * (bar_h + 4)
    share = 100 * status.head_series / limit
    title = f"head series {status.head_series} ({share:.2g}% of the limit {limit}): largest metrics"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12" role="img">'
        f"<title>{html.escape(title)}</title>"
        f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>'
        + "".join(rows)
        + "</svg>"
    )


def retention_findings(
    retention_seconds: float | None, needed_seconds: float, why: str
) -> list[Finding]:
    if retention_seconds is None:
        return [
            Finding(
                "Prometheus keeps data by size only (storage.tsdb.retention.time unset)",
                expected=f"retention of at least {format_duration(needed_seconds)} ({why})",
                found="no time-based retention",
                fix="set --storage.tsdb.retention.time",
            )
        ]
    if retention_seconds >= needed_seconds:
        return []
    return [
        Finding(
            f"retention {format_duration(retention_seconds)} is shorter than "
            f"{format_duration(needed_seconds)} ({why})",
            expected=f"--storage.tsdb.retention.time >= {format_duration(needed_seconds)}",
            found=format_duration(retention_seconds),
            fix="raise --storage.tsdb.retention.time (and the disk) so SLO windows are "
            "fully covered",
        )
    ]


def config_findings(status: AlertmanagerStatus) -> list[Finding]:
    config = status.config
    findings = [
        Finding(
            f"routes name receiver {name!r}, which is not defined",
            expected="every routed receiver defined",
            found="receivers: " + ", ".join(sorted(config.receivers)),
            fix="define the receiver or fix the route",
        )
        for name in sorted(referenced_receivers(config.route) - set(config.receivers))
    ]
    if status.cluster_status not in ("ready", "disabled", ""):
        findings.append(
            Finding(
                f"Alertmanager cluster is {status.cluster_status}",
                expected="cluster ready (or disabled for a single instance)",
                found=status.cluster_status,
                fix="check the peers (--cluster.peer) and their connectivity",
            )
        )
    return findings


def routing_findings(
    severity: str, req: RoutingRequirement, config: AlertmanagerConfig
) -> tuple[list[RouteMatch], list[Finding]]:
    """Walk the route tree with a test alert of ``severity``; judge the receivers it reaches."""
    labels = {"alertname": ROUTE_TEST_ALERTNAME, "severity": severity, **req.labels}
    matches = route_alert(config.route, labels)
    findings: list[Finding] = []
    good: list[str] = []
    wanted = set(req.integrations)
    label_text = ",".join(f"{k}={v}" for k, v in labels.items())
    for match in matches:
        receiver = config.receivers.get(match.receiver)
        if receiver is None:
            findings.append(
                Finding(
                    f"{severity} alerts route to receiver {match.receiver!r}, which is not defined",
                    expected="a defined receiver",
                    found=match.describe(),
                    fix="define the receiver or fix the route",
                )
            )
            continue
        if not receiver.integrations:
            findings.append(
                Finding(
                    f"{severity} alerts route to receiver {receiver.name!r}, which has no "
                    "integration: nobody is notified",
                    expected="a receiver with at least one integration "
                    + (f"({', '.join(req.integrations)})" if req.integrations else ""),
                    found=match.describe(),
                    fix="add an integration (e.g. pagerduty_configs, webhook_configs, "
                    "email_configs) or route the severity elsewhere",
                )
            )
            continue
        if not wanted or wanted & set(receiver.integrations):
            good.append(receiver.name)
    if not good and not findings:
        reached = ", ".join(
            f"{m.receiver} ({', '.join(config.receivers[m.receiver].integrations)})"
            for m in matches
            if m.receiver in config.receivers
        )
        findings.append(
            Finding(
                f"{severity} alerts reach no {'/'.join(req.integrations)} integration",
                expected=f"a receiver with {' or '.join(req.integrations)} for {label_text}",
                found=reached or "no receiver",
                fix="route this severity to a paging receiver",
            )
        )
    return matches, findings


def escalation_findings(config: AlertmanagerConfig, receivers: Sequence[str]) -> list[Finding]:
    used = referenced_receivers(config.route)
    findings = []
    for name in receivers:
        receiver = config.receivers.get(name)
        if receiver is None:
            findings.append(
                Finding(
                    f"escalation receiver {name!r} is not defined in Alertmanager",
                    expected=f"receiver {name!r}",
                    found="receivers: " + ", ".join(sorted(config.receivers)),
                    fix="define the receiver for this escalation level",
                )
            )
            continue
        if not receiver.integrations:
            findings.append(
                Finding(
                    f"escalation receiver {name!r} has no integration",
                    expected="an integration that notifies the escalation level",
                    found="no *_configs",
                    fix="add the paging/chat integration of this level",
                )
            )
        if name not in used:
            findings.append(
                Finding(
                    f"escalation receiver {name!r} is not used by any route",
                    expected=f"a route sending alerts to {name!r}",
                    found="routes use: " + ", ".join(sorted(used)),
                    fix="add a route (e.g. with continue: true) to this receiver",
                )
            )
    return findings


def blocking_alerts(
    alerts: Sequence[PromAlert],
    severities: Sequence[str],
    services: Sequence[str],
    service_labels: Sequence[str],
    exempt: Sequence[str] = (),
) -> tuple[list[PromAlert], list[PromAlert]]:
    """(firing, silenced) alerts of a blocking severity for the released services."""
    firing: list[PromAlert] = []
    silenced: list[PromAlert] = []
    for alert in alerts:
        if alert.labels.get("severity") not in severities:
            continue
        if any(re.fullmatch(p, alert.name) for p in exempt):
            continue
        if services and not any(alert.labels.get(lbl) in services for lbl in service_labels):
            continue
        if alert.silenced_by or alert.inhibited_by or alert.state == "suppressed":
            silenced.append(alert)
        elif alert.state in ("active", "firing", "unprocessed"):
            firing.append(alert)
    return firing, silenced


def firing_findings(firing: Sequence[PromAlert], scope: str) -> list[Finding]:
    return [
        Finding(
            f"{a.labels.get('severity')} alert {a.name!r} is firing for {scope}"
            + (f": {a.summary}" if a.summary else ""),
            expected="no blocking alert firing for the services being released",
            found=_labels(a.labels) + (f" since {a.starts_at}" if a.starts_at else ""),
            fix="resolve the incident first (or silence it with a reason if it is unrelated)",
        )
        for a in firing
    ]


def silence_findings(silences: Sequence[Silence], max_seconds: float) -> list[Finding]:
    return [
        Finding(
            f"silence {s.id} lasts {format_duration(round(s.duration_seconds / 60) * 60)} "
            f"(longer than {format_duration(max_seconds)})",
            expected=f"silences of at most {format_duration(max_seconds)}",
            found=f"{', '.join(s.matchers)} until {s.ends_at}, by {s.created_by}: {s.comment}",
            fix="shorten the silence and fix the cause; long silences hide new incidents",
        )
        for s in silences
        if s.state == "active" and s.duration_seconds > max_seconds
    ]


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
