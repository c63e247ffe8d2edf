"""Checklist rules read from files and workload specs: runbooks, rollback, shutdown,
post-mortem template, pipeline files, monitoring."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from readiness.findings import Finding
from readiness.redact import safe_url


def runbook_key(name: str) -> str:
    """``HighErrorRate``, ``high-error-rate`` and ``high_error_rate`` name the same runbook."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def missing_runbooks(
    alert_names: Iterable[str], incident_types: Iterable[str], runbook_stems: Iterable[str]
) -> list[Finding]:
    have = {runbook_key(s) for s in runbook_stems}
    findings: list[Finding] = []
    for kind, names in (("alert", sorted(set(alert_names))), ("incident type", incident_types)):
        missing = [n for n in names if runbook_key(n) not in have]
        if missing:
            findings.append(
                Finding(
                    f"{len(missing)} {kind}{'s' if len(missing) > 1 else ''} without a runbook: "
                    f"{', '.join(missing)}",
                    expected=f"a runbook file per {kind} (e.g. {missing[0]}.md)",
                    found="no file with that name in the runbook directory",
                    fix="write the runbooks: symptoms, dashboards, diagnosis, mitigation, "
                    "escalation",
                )
            )
    return findings


@dataclass(frozen=True, slots=True)
class RunbookLink:
    alert: str
    url: str | None
    resolved: bool
    detail: str = ""


def runbook_link_findings(links: Sequence[RunbookLink], require_url: bool) -> list[Finding]:
    findings: list[Finding] = []
    no_url = sorted({lk.alert for lk in links if lk.url is None})
    if no_url and require_url:
        findings.append(
            Finding(
                f"{len(no_url)} alert{'s' if len(no_url) > 1 else ''} without runbook_url: "
                f"{', '.join(no_url)}",
                expected="annotations.runbook_url on every alerting rule",
                found="no runbook_url annotation",
                fix="add a runbook_url annotation pointing at the alert's runbook",
            )
        )
    broken: dict[str, list[RunbookLink]] = {}
    for link in links:
        if link.url is not None and not link.resolved:
            broken.setdefault(link.url, []).append(link)
    for url, same in broken.items():
        alerts = sorted({lk.alert for lk in same})
        findings.append(
            Finding(
                f"runbook of alert{'s' if len(alerts) > 1 else ''} {', '.join(alerts)} does not "
                f"resolve: {safe_url(url)}",
                expected="an HTTP answer below 400 (after redirects) or an existing file",
                found=same[0].detail,
                fix="fix the runbook_url or publish the runbook there",
            )
        )
    return findings


def rollback_document_findings(
    document: str, text: str | None, command_pattern: str
) -> list[Finding]:
    if text is None:
        return [
            Finding(
                f"rollback document {document} does not exist",
                expected="a written rollback procedure",
                found="no such file",
                fix=f"write {document}: when to roll back, who decides, the exact command",
            )
        ]
    if not text.strip():
        return [
            Finding(
                f"rollback document {document} is empty",
                expected="a written rollback procedure",
                found="an empty file",
                fix=f"write the procedure in {document}",
            )
        ]
    if re.search(command_pattern, text) is None:
        return [
            Finding(
                f"rollback document {document} does not name the rollback command",
                expected=f"text matching /{command_pattern}/",
                found="no such command in the document",
                fix="write the exact command to run (e.g. `kubectl rollout undo "
                "deployment/<name> -n <namespace>`)",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class RolloutHistory:
    """What a Deployment keeps for rollback."""

    workload: str
    revision_history_limit: int | None  # None: the Kubernetes default (10)
    revision: int | None
    previous_revisions: int


def rollout_history_findings(history: RolloutHistory, minimum: int) -> list[Finding]:
    findings: list[Finding] = []
    limit = 10 if history.revision_history_limit is None else history.revision_history_limit
    if limit < minimum:
        findings.append(
            Finding(
                f"{history.workload} keeps {limit} old revisions",
                expected=f"spec.revisionHistoryLimit >= {minimum}",
                found=f"revisionHistoryLimit: {limit}",
                fix="raise spec.revisionHistoryLimit (the default is 10)",
            )
        )
    if history.previous_revisions < 1:
        findings.append(
            Finding(
                f"{history.workload} has no previous revision to roll back to",
                expected="at least one older ReplicaSet",
                found=f"revision {history.revision or '?'}, no older ReplicaSet",
                fix="keep the previous release's ReplicaSet (revisionHistoryLimit > 0); a "
                "first rollout has none yet, so roll back by redeploying the old version",
            )
        )
    return findings


@dataclass(frozen=True, slots=True)
class ShutdownSpec:
    workload: str
    grace_seconds: int | None  # None: the Kubernetes default (30)
    containers: tuple[str, ...]
    containers_with_pre_stop: tuple[str, ...]


def shutdown_findings(spec: ShutdownSpec, min_grace: int, require_pre_stop: bool) -> list[Finding]:
    findings: list[Finding] = []
    grace = 30 if spec.grace_seconds is None else spec.grace_seconds
    if grace < min_grace:
        findings.append(
            Finding(
                f"{spec.workload} gets {grace}s to shut down",
                expected=f"terminationGracePeriodSeconds >= {min_grace}",
                found=f"terminationGracePeriodSeconds: {grace}",
                fix="raise terminationGracePeriodSeconds to cover draining in-flight requests",
            )
        )
    if require_pre_stop:
        missing = [c for c in spec.containers if c not in spec.containers_with_pre_stop]
        if missing:
            findings.append(
                Finding(
                    f"{spec.workload}: container{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} without a preStop hook",
                    expected="lifecycle.preStop on every container",
                    found="no preStop",
                    fix="add a preStop hook (e.g. sleep a few seconds) so endpoints are "
                    "removed before SIGTERM",
                )
            )
    return findings


def _headings(text: str) -> list[str]:
    heads: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            heads.append(stripped.lstrip("#").strip())
        elif i + 1 < len(lines) and re.fullmatch(r"(=+|-+)", lines[i + 1].strip()) and stripped:
            heads.append(stripped)
    return [h.lower() for h in heads]


def postmortem_findings(path: str, text: str | None, sections: Sequence[str]) -> list[Finding]:
    if text is None:
        return [
            Finding(
                f"post-mortem template {path} does not exist",
                expected="a post-mortem template in the repository",
                found="no such file",
                fix=f"add {path} with the sections {', '.join(sections)}",
            )
        ]
    heads = _headings(text)
    missing = [s for s in sections if not any(s.lower() in h for h in heads)]
    if missing:
        return [
            Finding(
                f"post-mortem template {path} lacks section"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                expected=f"headings for {', '.join(sections)}",
                found=f"headings: {', '.join(heads) or 'none'}",
                fix="add the missing sections to the template",
            )
        ]
    return []


def missing_files_findings(what: str, paths: Mapping[str, bool]) -> list[Finding]:
    missing = [p for p, exists in paths.items() if not exists]
    if not missing:
        return []
    return [
        Finding(
            f"{what} missing: {', '.join(missing)}",
            expected="the files named in the profile",
            found="no such file",
            fix=f"commit the {what} or correct the paths in the profile",
        )
    ]


@dataclass(frozen=True, slots=True)
class MonitoringState:
    alerting_rules: int
    unhealthy_rules: tuple[str, ...]
    active_alertmanagers: tuple[str, ...]


def monitoring_findings(state: MonitoringState) -> list[Finding]:
    findings: list[Finding] = []
    if state.alerting_rules == 0:
        findings.append(
            Finding(
                "Prometheus has no alerting rules loaded",
                expected="at least one alerting rule",
                found="0 alerting rules",
                fix="load alerting rules (rule_files in prometheus.yml)",
            )
        )
    if state.unhealthy_rules:
        findings.append(
            Finding(
                f"{len(state.unhealthy_rules)} rule(s) fail to evaluate: "
                f"{', '.join(state.unhealthy_rules)}",
                expected="health ok for every rule",
                found="health err",
                fix="fix the rules' expressions (see lastError in /api/v1/rules)",
            )
        )
    if not state.active_alertmanagers:
        findings.append(
            Finding(
                "Prometheus sends alerts to no Alertmanager",
                expected="at least one active Alertmanager",
                found="none in /api/v1/alertmanagers",
                fix="configure alerting.alertmanagers in prometheus.yml",
            )
        )
    return findings


@dataclass(frozen=True, slots=True)
class HealthProbe:
    service: str
    url: str
    status: int | None
    detail: str = ""


def undeclared_health_finding(service: str) -> Finding:
    return Finding(
        f"{service} declares no health endpoint",
        expected="a health endpoint in the service's profile entry (health: {path: /healthz})",
        found="none",
        fix="serve a health endpoint and declare it under the service in targets.services",
    )


def health_probe_findings(probe: HealthProbe) -> list[Finding]:
    if probe.status is not None and 200 <= probe.status < 300:
        return []
    return [
        Finding(
            f"health endpoint of {probe.service} is not working: {probe.url}",
            expected="HTTP 2xx",
            found=f"HTTP {probe.status}" if probe.status is not None else probe.detail,
            fix="serve a health endpoint that answers 2xx while the service can take traffic",
        )
    ]
