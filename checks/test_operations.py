"""Operations checks: the production-readiness checklist, automated where an API or a file
can show it, manual attestations (which expire) otherwise."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from readiness import (
    Evidence,
    Finding,
    SourceError,
    assert_no_findings,
    clock,
    control,
    parametrize,
)
from readiness.checking import profile_of
from readiness.collect import Job
from readiness.families import judged_elsewhere
from readiness.profile.common import Endpoint
from readiness.profile.http import Service
from readiness.profile.model import Profile
from readiness.profile.operations import BackupLocation, RecoveryObjective
from readiness.redact import safe_url
from readiness.rules import operations as rules
from readiness.rules import operations_backups as backup_rules
from readiness.rules import operations_dr as dr_rules
from readiness.rules import operations_observability as obs
from readiness.rules import operations_oncall as oncall_rules
from readiness.rules.operations_attest import (
    attestation_evidence,
    attestations_for,
    judge_attestation,
)
from readiness.sources import checklist
from readiness.sources.operations_evidence import (
    OperationsEvidence,
    RunbookTarget,
    alertmanager_endpoint,
    prometheus_endpoint,
    runbook_targets,
    services,
)
from readiness.sources.runbooks import shared_prober

AUTOMATED = "automated"
ATTESTED = "attested"
DR_OBJECTIVES = "dr-objectives"
LIVE, MANIFESTS = "live", "manifests"

# The evidence each check reads: started together as soon as the run begins.
NEEDS: dict[str, tuple[str, ...]] = {
    "test_runbooks": ("prometheus_alerts", "rule_file_alerts"),
    "test_oncall": ("alertmanager",),
    "test_escalation": ("alertmanager",),
    "test_rollback_revisions": ("live_workloads",),
    "test_backup_freshness": ("backups",),
    "test_backup_retention": ("backups",),
    "test_backup_size": ("backups",),
    "test_dr_offsite_backup": ("offsite",),
    "test_dr_rto_rpo": ("backups",),
    "test_monitoring": ("monitoring",),
    "test_logging": ("loki_ready", "service_logs"),
    "test_log_retention": ("log_retention",),
    "test_log_structured": ("service_logs",),
    "test_tracing": ("service_traces",),
    "test_otel_collector": ("collector",),
    "test_grafana": ("grafana_state",),
    "test_dashboards": ("dashboards",),
    "test_grafana_auth": ("grafana_access",),
    "test_graceful_shutdown": ("live_workloads", "manifest_workloads"),
}


def _mode(automated: bool, name: str) -> list[tuple[str, str]]:
    """One target: the automated source's name, or ``attested`` when none is configured."""
    return [(name, AUTOMATED)] if automated else [(ATTESTED, ATTESTED)]


_RUNBOOKS = pytest.StashKey[list[RunbookTarget]]()
_PROBED = pytest.StashKey[bool]()


def _runbook_targets(config: pytest.Config) -> list[RunbookTarget]:
    """Every distinct runbook URL per source, read once per run (at collection: one target
    per URL; the Prometheus rules answer is the run's, shared with the alerting family)."""
    if _RUNBOOKS not in config.stash:
        profile = profile_of(config)
        found = runbook_targets(profile, config.invocation_params.dir)
        if not profile.operations.runbooks.alerts_need_runbook_url:
            found = [t for t in found if t.url is not None or t.error]
        config.stash[_RUNBOOKS] = found
    return config.stash[_RUNBOOKS]


def _probe_runbooks(config: pytest.Config) -> None:
    """Every web runbook URL at once, by the run's shared prober (the alerting family's
    TLS settings: each URL fetched once for both families), the first time it is asked."""
    profile = profile_of(config)
    if config.stash.get(_PROBED, False) or not profile.operations.runbooks.check_reachable:
        return
    tls = profile.alerting.runbooks
    prober = shared_prober(tls.timeout, tls.max_concurrency, tls.ca_file)
    prober.probe(t.url for t in _runbook_targets(config) if t.url and checklist.is_web(t.url))
    config.stash[_PROBED] = True


def readiness_collect(config: pytest.Config, items: Sequence[pytest.Item]) -> list[Job]:
    """The runbook URLs, fetched in the run's collection phase when OPS-RUNBOOK-LINKS runs."""
    if not any(getattr(item, "originalname", "") == "test_runbook_links" for item in items):
        return []
    return [Job("runbooks", functools.partial(_probe_runbooks, config), "operations runbooks")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    ops = profile.operations
    t = profile.targets
    live_clusters = bool(getattr(profile.targets, "kubernetes", None))
    manifest_sets = bool(getattr(profile.targets, "manifests", None))
    shutdown_sources = [("kubernetes", LIVE)] if live_clusters else []
    shutdown_sources += [("manifests", MANIFESTS)] if manifest_sets else []
    if judged_elsewhere(profile, "OPS-GRACEFUL-SHUTDOWN"):
        shutdown_sources = []  # K8S-GRACEFUL-SHUTDOWN judges the workloads; SIGTERM is attested
    params: dict[str, list[tuple[str, Any]]] = {
        "runbook_dir": [("runbooks", ops.runbooks.directory)] if ops.runbooks.directory else [],
        "runbook_link": [(t.id, t) for t in _runbook_targets(metafunc.config)],
        "oncall_mode": _mode(alertmanager_endpoint(profile) is not None, "alertmanager"),
        "escalation_mode": _mode(alertmanager_endpoint(profile) is not None, "alertmanager"),
        "rollback_mode": _mode(ops.rollback.document is not None, "rollback-document"),
        "rollout_target": [("kubernetes", "kubernetes")] if live_clusters else [],
        "backup": [(b.name, b) for b in t.backups] or [(ATTESTED, None)],
        "backup_dir": [(b.name, b) for b in t.backups if b.directory is not None],
        "backup_sized": [(b.name, b) for b in t.backups if b.directory or b.size_metric],
        "restore_drill": [("restore-drill", "restore-drill")],
        "offsite_backup": [(b.name, b) for b in t.backups] or [(ATTESTED, None)],
        "dr_objective": [(o.service, o) for o in ops.dr.objectives] or [(DR_OBJECTIVES, None)],
        "monitoring_mode": _mode(prometheus_endpoint(profile) is not None, "prometheus"),
        "log_service": [(s, s) for s in services(profile, ops.logging.services)] if t.loki else [],
        "structured_service": (
            [(s, s) for s in services(profile, ops.logging.services)]
            if t.loki and ops.logging.structured
            else []
        ),
        "loki_endpoint": [("loki", t.loki)] if t.loki else [],
        "trace_service": (
            [(s, s) for s in services(profile, ops.tracing.services)] if t.jaeger else []
        ),
        "collector": [("otel-collector", t.otel_collector)] if t.otel_collector else [],
        "grafana_endpoint": [("grafana", t.grafana)] if t.grafana else [],
        "dashboards_endpoint": (
            [("grafana", t.grafana)] if t.grafana and ops.grafana.required_dashboards else []
        ),
        "shutdown_mode": shutdown_sources or [(ATTESTED, ATTESTED)],
        "env_validation": [(ATTESTED, ATTESTED)],
        "cicd_mode": _mode(bool(ops.cicd.pipeline_files), "pipeline-files"),
        "health_service": ([(s.name, s) for s in t.services] if t.services else [(ATTESTED, None)]),
        "postmortem_mode": _mode(ops.postmortem.template is not None, "postmortem-template"),
    }
    for name, pairs in params.items():
        parametrize(metafunc, name, pairs)


# -- shared evidence, gathered once per run ------------------------------------------------


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return clock.now()


@pytest.fixture(scope="session")
def base_dir(pytestconfig: pytest.Config) -> Path:
    """Relative paths in the profile are relative to the directory pytest runs in."""
    return pytestconfig.invocation_params.dir


def _attest(
    evidence: Evidence,
    profile: Profile,
    control_id: str,
    now: dt.datetime,
    mode: str,
    *,
    required: bool | None = None,
    max_age_days: int | None = None,
    what: str = "",
) -> list[Finding]:
    """Judge the control's attestations and show them in the report as attestations. With
    ``mode`` attested (no automated source) they are the evidence, required by default."""
    attested = mode == ATTESTED
    found = attestations_for(profile.attestations, control_id)
    today = now.date()
    shown = [attestation_evidence(a, today) for a in found]
    if attested:
        evidence.add(**(shown[0] if shown else {"kind": "attestation", "control": control_id}))
        if len(shown) > 1:
            evidence.add(earlier_attestations=shown[1:])
    else:
        evidence.add(attestations=shown)
    return judge_attestation(
        control_id,
        found,
        today,
        required=attested if required is None else required,
        max_age_days=max_age_days,
        what=what,
    )


def _document(
    evidence: Evidence,
    configured: str | None,
    base_dir: Path,
    what: str,
    key: str,
    **shown: Any,
) -> tuple[Path, str | None]:
    """Read a document the profile names; show where it is and whether it exists."""
    assert configured is not None
    path = checklist.resolve(configured, base_dir)
    text = checklist.read_text(path, what)
    evidence.add(kind=AUTOMATED, **{key: str(path)}, exists=text is not None, **shown)
    return path, text


@pytest.fixture(scope="session")
def ops(
    profile: Profile, base_dir: Path, now: dt.datetime, request: pytest.FixtureRequest
) -> Iterator[OperationsEvidence]:
    """Every source these checks read, collected once; what the selected checks need is
    started concurrently right away."""
    evidence = OperationsEvidence(profile, base_dir, now)
    here = Path(__file__)
    selected = {
        getattr(item, "originalname", item.name)
        for item in request.session.items
        if item.path == here
    }
    evidence.prefetch({need for name in selected for need in NEEDS.get(name, ())})
    yield evidence
    evidence.close()


@pytest.fixture(scope="session")
def http_source(profile: Profile) -> Any:
    """The HTTP family's probe source, the same object its checks use: a health endpoint
    the HTTP family already fetched is judged from that answer, not requested again; the
    others are fetched together, concurrently, the first time a health check asks."""
    from readiness.sources.http import shared_http_source

    source = shared_http_source(profile.http)
    declared = [s for s in profile.targets.services if s.health is not None]
    source.prefetch([functools.partial(source.health, s) for s in declared])
    return source


# -- runbooks, on-call, escalation ---------------------------------------------------------


@control("OPS-RUNBOOKS")
def test_runbooks(
    runbook_dir: str,
    profile: Profile,
    base_dir: Path,
    ops: OperationsEvidence,
    evidence: Evidence,
) -> None:
    policy = profile.operations.runbooks
    directory = checklist.resolve(runbook_dir, base_dir)
    stems = checklist.runbook_stems(directory, policy.extensions)
    alerts = ops.alert_runbooks()
    alert_names = sorted({name for found in alerts.values() for name, _ in found})
    evidence.add(
        kind=AUTOMATED,
        directory=str(directory),
        runbooks=stems,
        alerts=alert_names,
        incident_types=policy.incident_types,
    )
    assert_no_findings(rules.missing_runbooks(alert_names, policy.incident_types, stems))


@control("OPS-RUNBOOK-LINKS")
def test_runbook_links(
    runbook_link: RunbookTarget,
    profile: Profile,
    base_dir: Path,
    pytestconfig: pytest.Config,
    evidence: Evidence,
) -> None:
    if runbook_link.error:
        raise SourceError(runbook_link.source, runbook_link.error)
    policy = profile.operations.runbooks
    directory = checklist.resolve(policy.directory, base_dir) if policy.directory else None
    tls = profile.alerting.runbooks  # one prober, the alerting family's CA, for both families
    prober = shared_prober(tls.timeout, tls.max_concurrency, tls.ca_file)
    _probe_runbooks(pytestconfig)  # once per run (done already by the collection phase)
    pairs = [(alert, runbook_link.url) for alert in runbook_link.alerts]
    links = checklist.runbook_links(pairs, directory, base_dir, prober, policy.check_reachable)
    evidence.add(
        kind=AUTOMATED,
        source=runbook_link.source,
        url=safe_url(runbook_link.url) if runbook_link.url else None,
        alerts=list(runbook_link.alerts),
        resolved=all(lk.resolved for lk in links),
        detail=links[0].detail if links else "",
    )
    assert_no_findings(rules.runbook_link_findings(links, policy.alerts_need_runbook_url))


@control("OPS-ONCALL")
def test_oncall(
    oncall_mode: str,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    findings: list[Finding] = []
    policy = profile.operations.oncall
    if oncall_mode == AUTOMATED:
        config = ops.alertmanager()
        reached = oncall_rules.receivers_for(config.route, policy.critical_labels)
        evidence.add(
            kind=AUTOMATED,
            critical_labels=policy.critical_labels,
            receivers={
                n: list(oncall_rules.integration_keys(config.receivers[n]))
                for n in reached
                if n in config.receivers
            },
        )
        findings += oncall_rules.paging_findings(
            config, policy.critical_labels, policy.paging_integrations
        )
    findings += _attest(
        evidence, profile, "OPS-ONCALL", now, oncall_mode, what="the on-call rotation"
    )
    assert_no_findings(findings)


@control("OPS-ESCALATION")
def test_escalation(
    escalation_mode: str,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    findings: list[Finding] = []
    levels = profile.operations.escalation.levels
    if escalation_mode == AUTOMATED:
        config = ops.alertmanager()
        evidence.add(kind=AUTOMATED, levels=levels, receivers=sorted(config.receivers))
        findings += oncall_rules.escalation_findings(config, levels)
    findings += _attest(
        evidence, profile, "OPS-ESCALATION", now, escalation_mode, what="the escalation path"
    )
    assert_no_findings(findings)


# -- rollback ------------------------------------------------------------------------------


@control("OPS-ROLLBACK")
def test_rollback_documented(
    rollback_mode: str, profile: Profile, base_dir: Path, now: dt.datetime, evidence: Evidence
) -> None:
    policy = profile.operations.rollback
    findings: list[Finding] = []
    if rollback_mode == AUTOMATED:
        path, text = _document(
            evidence,
            policy.document,
            base_dir,
            "rollback document",
            "document",
            command_pattern=policy.command_pattern,
        )
        findings += rules.rollback_document_findings(str(path), text, policy.command_pattern)
    findings += _attest(
        evidence, profile, "OPS-ROLLBACK", now, rollback_mode, what="the rollback procedure"
    )
    assert_no_findings(findings)


@control("OPS-ROLLBACK-REVISIONS")
def test_rollback_revisions(
    rollout_target: str, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    minimum = profile.operations.rollback.min_revision_history
    workloads = ops.live_workloads()
    evidence.add(
        kind=AUTOMATED,
        workloads=[
            {
                "workload": h.workload,
                "revisionHistoryLimit": h.revision_history_limit,
                "revision": h.revision,
                "previous_revisions": h.previous_revisions,
            }
            for h in workloads.histories
        ],
    )
    assert_no_findings(
        [f for h in workloads.histories for f in rules.rollout_history_findings(h, minimum)]
    )


# -- backups ---------------------------------------------------------------------------


@control("OPS-BACKUP-FRESHNESS")
def test_backup_freshness(
    backup: BackupLocation | None,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    if backup is None:  # no backup location the suite can see: someone must vouch for it
        assert_no_findings(
            _attest(
                evidence,
                profile,
                "OPS-BACKUP-FRESHNESS",
                now,
                ATTESTED,
                what="the database backups",
            )
        )
        return
    policy = profile.operations.backups
    found = ops.backups(backup.name)
    frequency = backup.frequency_hours or policy.frequency_hours
    evidence.add(
        kind=AUTOMATED,
        source=found.kind,
        now=now.isoformat(),
        frequency_hours=frequency,
        newest=backup_rules.size_summary(found.heads),
    )
    assert_no_findings(backup_rules.freshness(found, now, frequency, policy.grace_hours))


@control("OPS-BACKUP-RETENTION")
def test_backup_retention(
    backup_dir: BackupLocation,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    policy = profile.operations.backups
    found = ops.backups(backup_dir.name)
    retention = backup_dir.retention_days or policy.retention_days
    frequency = backup_dir.frequency_hours or policy.frequency_hours
    evidence.add(
        kind=AUTOMATED,
        retention_days=retention,
        count=len(found.backups),
        oldest=found.backups[0].taken_at.isoformat() if found.backups else None,
    )
    assert_no_findings(backup_rules.retention(found, now, retention, frequency, policy.grace_hours))


@control("OPS-BACKUP-SIZE")
def test_backup_size(
    backup_sized: BackupLocation, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    policy = profile.operations.backups
    found = ops.backups(backup_sized.name)
    recent = found.backups[-1 - policy.size_baseline :]
    evidence.add(
        kind=AUTOMATED, ratio=policy.size_collapse_ratio, recent=backup_rules.size_summary(recent)
    )
    assert_no_findings(
        backup_rules.size_collapse(found, policy.size_collapse_ratio, policy.size_baseline)
    )


@control("OPS-RESTORE-DRILL")
def test_restore_drill(
    restore_drill: str, profile: Profile, now: dt.datetime, evidence: Evidence
) -> None:
    days = profile.operations.backups.restore_drill_days
    assert_no_findings(
        _attest(
            evidence,
            profile,
            "OPS-RESTORE-DRILL",
            now,
            ATTESTED,
            max_age_days=days,
            what="the restore drill",
        )
    )


# -- disaster recovery -----------------------------------------------------------------


@control("OPS-DR-OFFSITE-BACKUP")
def test_dr_offsite_backup(
    offsite_backup: BackupLocation | None,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    if offsite_backup is None:  # no backup location the suite can see: someone must vouch
        assert_no_findings(
            _attest(
                evidence,
                profile,
                "OPS-DR-OFFSITE-BACKUP",
                now,
                ATTESTED,
                what="the backup copies in a second location",
            )
        )
        return
    copy = offsite_backup.offsite
    evidence.add(kind=AUTOMATED, primary_region=offsite_backup.region)
    if copy is None:
        assert_no_findings(dr_rules.no_offsite_findings(offsite_backup.name))
        return
    policy = profile.operations.backups
    frequency = offsite_backup.frequency_hours or policy.frequency_hours
    max_age = copy.max_age_hours or frequency + policy.grace_hours
    listing = ops.offsite(offsite_backup.name)
    evidence.add(now=now.isoformat(), max_age_hours=max_age, **listing.summary())
    assert_no_findings(
        dr_rules.offsite_findings(offsite_backup.name, offsite_backup.region, listing, now, max_age)
    )


def _cadences(
    objective: RecoveryObjective, profile: Profile, ops: OperationsEvidence
) -> list[dr_rules.BackupCadence]:
    locations = {b.name: b for b in profile.targets.backups}
    default = profile.operations.backups.frequency_hours
    cadences = []
    for name in objective.backups:
        location = locations.get(name)
        if location is None:
            cadences.append(dr_rules.BackupCadence(name, default, None))
        else:
            frequency = location.frequency_hours or default
            cadences.append(dr_rules.BackupCadence(name, frequency, ops.backups(name)))
    return cadences


def _cadence_evidence(
    cadence: dr_rules.BackupCadence, now: dt.datetime, window: int
) -> dict[str, Any]:
    gap = None if cadence.backups is None else dr_rules.worst_gap(cadence.backups, now, window)
    return {
        "name": cadence.name,
        "frequency_hours": cadence.frequency_hours,
        "longest_gap_hours": None if gap is None else round(gap.total_seconds() / 3600, 2),
    }


@control("OPS-DR-RTO-RPO")
def test_dr_rto_rpo(
    dr_objective: RecoveryObjective | None,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    if dr_objective is None:
        assert_no_findings(dr_rules.no_objectives_findings())
        return
    window = profile.operations.dr.rpo_window_days
    cadences = _cadences(dr_objective, profile, ops)
    evidence.add(
        kind=AUTOMATED,
        rto_minutes=dr_objective.rto_minutes,
        rpo_minutes=dr_objective.rpo_minutes,
        window_days=window,
        backups=[_cadence_evidence(c, now, window) for c in cadences],
    )
    assert_no_findings(dr_rules.rpo_findings(dr_objective, cadences, now, window))


@control("OPS-DR-DRILL")
def test_dr_drill(
    dr_objective: RecoveryObjective | None, profile: Profile, now: dt.datetime, evidence: Evidence
) -> None:
    if dr_objective is None:
        assert_no_findings(dr_rules.no_objectives_findings())
        return
    service = dr_objective.service
    drills = attestations_for(profile.attestations, "OPS-DR-DRILL", service) or attestations_for(
        profile.attestations, "OPS-RESTORE-DRILL", service
    )
    days = profile.operations.backups.restore_drill_days
    today = now.date()
    evidence.add(
        kind="attestation",
        rto_minutes=dr_objective.rto_minutes,
        max_age_days=days,
        drills=[attestation_evidence(a, today) for a in drills],
    )
    assert_no_findings(dr_rules.drill_findings(dr_objective, drills, today, days))


# -- monitoring, logging, tracing, Grafana -------------------------------------------------


@control("OPS-MONITORING")
def test_monitoring(
    monitoring_mode: str,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    findings: list[Finding] = []
    if monitoring_mode == AUTOMATED:
        state = ops.monitoring()
        evidence.add(
            kind=AUTOMATED,
            alerting_rules=state.alerting_rules,
            unhealthy_rules=list(state.unhealthy_rules),
            alertmanagers=list(state.active_alertmanagers),
        )
        findings += rules.monitoring_findings(state)
    findings += _attest(evidence, profile, "OPS-MONITORING", now, monitoring_mode)
    assert_no_findings(findings)


def _loki_not_ready(ready: tuple[bool, str]) -> list[Finding]:
    if ready[0]:
        return []
    return [
        Finding(
            "Loki is not ready",
            expected="GET /ready: HTTP 200 ready",
            found=ready[1],
            fix="check Loki's logs (ingester ring, storage)",
        )
    ]


@control("OPS-LOGGING")
def test_logging(
    log_service: str,
    profile: Profile,
    ops: OperationsEvidence,
    evidence: Evidence,
) -> None:
    loki_ready = ops.loki_ready()
    logs = ops.service_logs(log_service)
    evidence.add(
        kind=AUTOMATED,
        loki_ready=loki_ready[0],
        lookback_minutes=logs.lookback_minutes,
        lines=len(logs.lines),
        newest=logs.newest.isoformat() if logs.newest else None,
    )
    label = profile.operations.logging.service_label
    assert_no_findings(_loki_not_ready(loki_ready) + obs.logs_present_findings(logs, label))


@control("OPS-LOG-RETENTION")
def test_log_retention(
    loki_endpoint: Endpoint, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    retention = ops.log_retention()
    required = profile.operations.logging.retention_days
    evidence.add(
        kind=AUTOMATED,
        retention_enabled=retention.retention_enabled,
        retention_period=retention.retention_period,
        required_days=required,
    )
    try:
        findings = obs.log_retention_findings(retention, required)
    except ValueError as exc:
        raise SourceError("loki", f"cannot read limits_config.retention_period: {exc}") from None
    assert_no_findings(findings)


@control("OPS-LOG-STRUCTURED")
def test_log_structured(
    structured_service: str, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    logs = ops.service_logs(structured_service)
    evidence.add(kind=AUTOMATED, sample=list(logs.lines[:3]), lines=len(logs.lines))
    assert_no_findings(obs.structured_findings(logs, profile.operations.logging.structured_ratio))


@control("OPS-TRACING")
def test_tracing(trace_service: str, ops: OperationsEvidence, evidence: Evidence) -> None:
    traces = ops.service_traces(trace_service)
    evidence.add(
        kind=AUTOMATED,
        known=traces.known,
        recent_traces=traces.recent_traces,
        lookback_minutes=traces.lookback_minutes,
    )
    assert_no_findings(obs.tracing_findings(traces))


@control("OPS-OTEL-COLLECTOR")
def test_otel_collector(collector: Endpoint, ops: OperationsEvidence, evidence: Evidence) -> None:
    answer = ops.collector()
    evidence.add(
        kind=AUTOMATED, url=collector.url, status_code=answer.status_code, status=answer.status
    )
    assert_no_findings(obs.collector_findings(answer))


@control("OPS-GRAFANA")
def test_grafana(grafana_endpoint: Endpoint, ops: OperationsEvidence, evidence: Evidence) -> None:
    state = ops.grafana_state()
    evidence.add(
        kind=AUTOMATED,
        database=state.database,
        version=state.version,
        datasources=[
            {"name": d.name, "type": d.type, "status": d.status, "message": d.message}
            for d in state.datasources
        ],
    )
    assert_no_findings(obs.grafana_findings(state))


@control("OPS-DASHBOARDS")
def test_dashboards(
    dashboards_endpoint: Endpoint, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    required = profile.operations.grafana.required_dashboards
    dashboards = ops.dashboards()
    evidence.add(
        kind=AUTOMATED,
        required=required,
        dashboards=[{"uid": d.uid, "title": d.title} for d in dashboards],
    )
    assert_no_findings(obs.dashboard_findings(dashboards, required))


@control("OPS-GRAFANA-AUTH")
def test_grafana_auth(
    grafana_endpoint: Endpoint, profile: Profile, ops: OperationsEvidence, evidence: Evidence
) -> None:
    policy = profile.operations.grafana
    access = ops.grafana_access()
    evidence.add(
        kind=AUTOMATED,
        default_password_accepted=access.default_password_accepted,
        anonymous_admin=access.anonymous_admin,
        anonymous_status=access.anonymous_status,
    )
    assert_no_findings(obs.grafana_access_findings(access, policy.default_admin_user))


# -- shutdown, configuration, pipeline, health checks, post-mortems ------------------------


@control("OPS-GRACEFUL-SHUTDOWN")
def test_graceful_shutdown(
    shutdown_mode: str,
    profile: Profile,
    ops: OperationsEvidence,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    policy = profile.operations.shutdown
    findings: list[Finding] = []
    overlap = judged_elsewhere(profile, "OPS-GRACEFUL-SHUTDOWN")
    if overlap is not None:
        evidence.add(workloads_judged_by=overlap.judged_by)
    if shutdown_mode != ATTESTED:
        specs = ops.live_workloads() if shutdown_mode == LIVE else ops.manifest_workloads()
        evidence.add(
            kind=AUTOMATED,
            workloads=[
                {
                    "workload": s.workload,
                    "terminationGracePeriodSeconds": s.grace_seconds,
                    "preStop": list(s.containers_with_pre_stop),
                }
                for s in specs.shutdowns
            ],
        )
        for spec in specs.shutdowns:
            findings += rules.shutdown_findings(
                spec, policy.min_grace_seconds, policy.require_pre_stop
            )
    findings += _attest(
        evidence,
        profile,
        "OPS-GRACEFUL-SHUTDOWN",
        now,
        shutdown_mode,
        required=True,
        what="SIGTERM handling (graceful shutdown)",
    )
    assert_no_findings(findings)


@control("OPS-ENV-VALIDATION")
def test_env_validation(
    env_validation: str, profile: Profile, now: dt.datetime, evidence: Evidence
) -> None:
    assert_no_findings(
        _attest(
            evidence,
            profile,
            "OPS-ENV-VALIDATION",
            now,
            ATTESTED,
            what="validation of environment variables at start",
        )
    )


@control("OPS-CICD")
def test_cicd(
    cicd_mode: str, profile: Profile, base_dir: Path, now: dt.datetime, evidence: Evidence
) -> None:
    findings: list[Finding] = []
    if cicd_mode == AUTOMATED:
        files = {
            p: checklist.resolve(p, base_dir).is_file()
            for p in profile.operations.cicd.pipeline_files
        }
        evidence.add(kind=AUTOMATED, pipeline_files=files)
        findings += rules.missing_files_findings("pipeline files", files)
    findings += _attest(
        evidence,
        profile,
        "OPS-CICD",
        now,
        cicd_mode,
        required=True,
        what="the tested CI/CD pipeline",
    )
    assert_no_findings(findings)


@control("OPS-HEALTHCHECKS")
def test_healthchecks(
    health_service: Service | None,
    profile: Profile,
    request: pytest.FixtureRequest,
    now: dt.datetime,
    evidence: Evidence,
) -> None:
    if health_service is None:
        assert_no_findings(
            _attest(
                evidence,
                profile,
                "OPS-HEALTHCHECKS",
                now,
                ATTESTED,
                what="the health-check endpoints",
            )
        )
        return
    if health_service.health is None:
        evidence.add(kind=AUTOMATED, url=health_service.url, health=None)
        assert_no_findings([rules.undeclared_health_finding(health_service.name)])
    fetched = request.getfixturevalue("http_source").health(health_service)
    probe = rules.HealthProbe(health_service.name, fetched.url, fetched.status, fetched.reason)
    evidence.add(kind=AUTOMATED, url=probe.url, status=probe.status, detail=probe.detail)
    assert_no_findings(rules.health_probe_findings(probe))


@control("OPS-POSTMORTEM-TEMPLATE")
def test_postmortem_template(
    postmortem_mode: str, profile: Profile, base_dir: Path, now: dt.datetime, evidence: Evidence
) -> None:
    policy = profile.operations.postmortem
    if postmortem_mode == ATTESTED:
        assert_no_findings(
            _attest(
                evidence,
                profile,
                "OPS-POSTMORTEM-TEMPLATE",
                now,
                ATTESTED,
                what="the post-mortem template",
            )
        )
        return
    path, text = _document(
        evidence,
        policy.template,
        base_dir,
        "post-mortem template",
        "template",
        required_sections=policy.required_sections,
    )
    assert_no_findings(rules.postmortem_findings(str(path), text, policy.required_sections))
