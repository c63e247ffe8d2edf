"""Alerting checks: Prometheus rules (live and files), targets, TSDB, Alertmanager."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from readiness import Evidence, assert_no_findings, control, parametrize
from readiness.checking import profile_of
from readiness.collect import Job
from readiness.profile.alerting import RequiredAlert, RoutingRequirement
from readiness.rules import alerting as rules
from readiness.rules import alerting_live as live_rules
from readiness.rules.alerting_model import RuleSet, format_duration, parse_duration
from readiness.sources.alerting import LIVE, AlertingEvidence, RuleSource

_EVIDENCE = pytest.StashKey[AlertingEvidence]()

Requirement = tuple[str, RequiredAlert, str | None]


def _evidence_of(config: pytest.Config) -> AlertingEvidence:
    if _EVIDENCE not in config.stash:
        config.stash[_EVIDENCE] = AlertingEvidence(profile_of(config), config.invocation_params.dir)
    return config.stash[_EVIDENCE]


def readiness_collect(config: pytest.Config, items: Sequence[pytest.Item]) -> list[Job]:
    """Prometheus's and Alertmanager's live views, and the runbook URLs of the rules when
    ALERT-RUNBOOK is selected, read in the run's collection phase."""
    evidence = _evidence_of(config)
    jobs = [Job("alerting", evidence.prefetch, "alerting")]
    if any(getattr(item, "originalname", "") == "test_runbook" for item in items):
        jobs.append(Job("runbooks", lambda: _read_runbooks(evidence), "alerting runbooks"))
    return jobs


def _read_runbooks(evidence: AlertingEvidence) -> None:
    evidence.runbook_statuses()  # kept by the evidence, read by ALERT-RUNBOOK


@pytest.fixture(scope="session")
def alerting(pytestconfig: pytest.Config) -> AlertingEvidence:
    evidence = _evidence_of(pytestconfig)
    evidence.prefetch()
    return evidence


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    ev = _evidence_of(metafunc.config)
    policy = ev.policy
    sources = ev.rule_sources()
    parametrize(metafunc, "rule_source", ((s.id, s) for s in sources))
    parametrize(metafunc, "prometheus", ((LIVE, LIVE),) if ev.prometheus is not None else ())
    # release rule files are checked against the live server's series too
    live_sources = sources if ev.prometheus is not None else []
    parametrize(metafunc, "series_source", ((s.id, s) for s in live_sources))
    requirements: list[tuple[str, Requirement]] = []
    if sources:
        for key, req in policy.required_alerts.items():
            if not req.enabled:
                continue
            if req.per_service:
                requirements += [(f"{key}/{s}", (key, req, s)) for s in ev.services()]
            else:
                requirements.append((key, (key, req, None)))
    if not sources and "required_alert" in metafunc.fixturenames:
        reason = "required alerts need targets.prometheus or targets.rule_files"
        metafunc.parametrize(
            "required_alert", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["-"]
        )
    else:
        parametrize(metafunc, "required_alert", requirements)
    has_prom = ev.prometheus is not None
    parametrize(metafunc, "service", ((s, s) for s in ev.services()) if has_prom else ())
    parametrize(metafunc, "exporter", ((e, e) for e in policy.exporters) if has_prom else ())
    has_am = ev.alertmanager is not None
    routes = [(sev, (sev, req)) for sev, req in policy.routing.items()] if has_am else []
    parametrize(metafunc, "routing", routes)
    am = [("alertmanager", "alertmanager")] if has_am else []
    parametrize(metafunc, "alertmanager", am)
    parametrize(metafunc, "escalation", am if policy.escalation_receivers else [])
    alert_source = "alertmanager" if has_am else "prometheus" if has_prom else None
    parametrize(metafunc, "alert_source", ((alert_source, alert_source),) if alert_source else ())


def _ruleset_evidence(evidence: Evidence, source: RuleSource, alerting: AlertingEvidence) -> None:
    ruleset = alerting.rules(source)
    evidence.add(
        source=source.id,
        groups=len(ruleset.groups),
        rules=len(ruleset.rules),
        alerting_rules=len(ruleset.alerts),
    )


def _alerting_rules(evidence: Evidence, source: RuleSource, alerting: AlertingEvidence) -> RuleSet:
    """The source's rules for a check that judges each alerting rule: none to judge is a
    skip naming the source, never a pass (ALERT-RULES-VALID judges the file itself)."""
    _ruleset_evidence(evidence, source, alerting)
    ruleset = alerting.rules(source)
    if not ruleset.alerts:
        pytest.skip(
            f"{source.id}: no alerting rule to judge ({len(ruleset.rules)} rules in "
            f"{len(ruleset.groups)} groups); ALERT-RULES-VALID says whether it is a rule file"
        )
    return ruleset


# -- rules (live and files) --------------------------------------------------------------


@control("ALERT-REQUIRED")
def test_required_alert(
    required_alert: Requirement, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    key, req, service = required_alert
    if service is not None:
        req = rules.for_service(req, service)
    where, ruleset = alerting.requirement_rules()
    result = rules.check_requirement(key, req, ruleset)
    evidence.add(
        requirement=rules.describe_requirement(req),
        looked_in=where,
        satisfied_by=[r.where for r in result.satisfied_by],
        near_misses=[f"{c.rule.where}: {'; '.join(c.problems)}" for c in result.candidates],
    )
    assert_no_findings(rules.requirement_findings(result, req, where, len(ruleset.alerts)))


@control("ALERT-RULES-VALID")
def test_rules_valid(
    rule_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    _ruleset_evidence(evidence, rule_source, alerting)
    assert_no_findings(rules.validity_findings(alerting.rules(rule_source)))


@control("ALERT-SEVERITY")
def test_severity(rule_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence) -> None:
    ruleset = _alerting_rules(evidence, rule_source, alerting)
    policy = alerting.policy
    evidence.add(allowed=policy.allowed_severities)
    assert_no_findings(
        rules.severity_findings(ruleset, policy.allowed_severities, policy.exempt_alerts)
    )


@control("ALERT-ANNOTATIONS")
def test_annotations(
    rule_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    ruleset = _alerting_rules(evidence, rule_source, alerting)
    policy = alerting.policy
    evidence.add(required=policy.required_annotations)
    assert_no_findings(
        rules.annotation_findings(ruleset, policy.required_annotations, policy.exempt_alerts)
    )


@control("ALERT-RUNBOOK")
def test_runbook(rule_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence) -> None:
    ruleset = _alerting_rules(evidence, rule_source, alerting)
    statuses = alerting.runbook_statuses()
    mine = rules.runbook_urls(ruleset)
    evidence.add(
        runbooks={u: statuses[u].describe() for u in mine if u in statuses},
        reachability_checked=alerting.policy.runbooks.check_reachable,
    )
    assert_no_findings(
        rules.runbook_findings(
            ruleset,
            statuses,
            required=alerting.policy.runbooks.required,
            exempt=alerting.policy.exempt_alerts,
        )
    )


@control("ALERT-FOR")
def test_for(rule_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence) -> None:
    ruleset = _alerting_rules(evidence, rule_source, alerting)
    policy = alerting.policy
    evidence.add(min_for=policy.min_for, exempt_severities=policy.critical_severities)
    findings = rules.for_findings(
        ruleset, parse_duration(policy.min_for), policy.critical_severities, policy.exempt_alerts
    )
    assert_no_findings(findings)


# -- live Prometheus -----------------------------------------------------------------------


@control("PROM-RULE-HEALTH")
def test_rule_health(prometheus: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    ruleset = alerting.rules(RuleSource(LIVE, live=True))
    reload = alerting.reload_status()
    evidence.add(
        groups={g.name: g.last_evaluation or "never" for g in ruleset.groups},
        unhealthy=[r.where for r in ruleset.rules if r.health != "ok"],
        last_reload={"success": reload[0], "config_time": reload[1]},
    )
    assert_no_findings(rules.health_findings(ruleset.groups, reload))


@control("ALERT-SERIES")
def test_series_exist(
    series_source: RuleSource, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    ruleset = alerting.rules(series_source)
    produced = () if series_source.live else alerting.recorded_names()
    wanted = rules.live_selectors(ruleset, produced)
    exists = alerting.series_exist(sorted(wanted))
    evidence.add(selectors=len(wanted), missing=sorted(s for s, ok in exists.items() if not ok))
    assert_no_findings(rules.series_findings(wanted, exists, alerting.policy.series_lookback))


@control("PROM-TARGETS")
def test_targets_up(prometheus: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    targets = alerting.targets()
    jobs: dict[str, dict[str, int]] = {}
    for t in targets:
        counts = jobs.setdefault(t.job, {"up": 0, "down": 0, "unknown": 0})
        counts[t.health if t.health in counts else "unknown"] += 1
    evidence.add(
        targets=len(targets),
        jobs=jobs,
        not_up=[
            {"job": t.job, "url": t.scrape_url, "health": t.health, "error": t.last_error}
            for t in targets
            if t.health != "up"
        ],
    )
    assert_no_findings(live_rules.target_findings(targets))


@control("PROM-SERVICE-TARGET")
def test_service_target(service: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    labels = alerting.policy.service_labels
    targets = alerting.targets()
    mine = live_rules.targets_of_service(service, targets, labels)
    evidence.add(matched_by=labels, targets=[f"{t.scrape_url} ({t.health})" for t in mine])
    assert_no_findings(live_rules.service_target_findings(service, targets, labels))


@control("PROM-SERVICE-TARGET")
def test_exporter_target(exporter: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    pattern = alerting.policy.exporters[exporter]
    targets = alerting.targets()
    evidence.add(exporter=exporter, job_pattern=pattern)
    assert_no_findings(live_rules.exporter_findings(exporter, pattern, targets))


@control("PROM-CARDINALITY")
def test_cardinality(prometheus: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    status = alerting.tsdb()
    limit = alerting.policy.max_head_series
    evidence.add(
        head_series=status.head_series,
        limit=limit,
        top_metrics={m.name: m.series for m in status.top_metrics},
    )
    chart = live_rules.top_metrics_svg(status, limit)
    if chart:
        evidence.attach_html(chart)
    assert_no_findings(live_rules.cardinality_findings(status, limit))


@control("PROM-RETENTION")
def test_retention(prometheus: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    retention = alerting.retention()
    needed, why = alerting.longest_slo_window()
    evidence.add(
        retention=format_duration(retention) if retention else None,
        needed=format_duration(needed),
        because=why,
    )
    assert_no_findings(live_rules.retention_findings(retention, needed, why))


# -- Alertmanager ----------------------------------------------------------------------------


@control("AM-CONFIG")
def test_alertmanager_config(
    alertmanager: str, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    status = alerting.am_status()
    config = status.config
    evidence.add(
        version=status.version,
        cluster=status.cluster_status,
        uptime=status.uptime,
        receivers={n: list(r.integrations) for n, r in config.receivers.items()},
        inhibit_rules=config.inhibit_rules,
    )
    assert_no_findings(live_rules.config_findings(status))


@control("AM-ROUTING")
def test_routing(
    routing: tuple[str, RoutingRequirement], alerting: AlertingEvidence, evidence: Evidence
) -> None:
    severity, requirement = routing
    config = alerting.am_status().config
    matches, findings = live_rules.routing_findings(severity, requirement, config)
    evidence.add(
        severity=severity,
        routes=[m.describe() for m in matches],
        integrations={
            m.receiver: list(config.receivers[m.receiver].integrations)
            for m in matches
            if m.receiver in config.receivers
        },
        wanted=requirement.integrations or "any",
    )
    assert_no_findings(findings)


@control("AM-ESCALATION")
def test_escalation(escalation: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    wanted = alerting.policy.escalation_receivers
    config = alerting.am_status().config
    evidence.add(escalation_receivers=wanted, defined=sorted(config.receivers))
    assert_no_findings(live_rules.escalation_findings(config, wanted))


@control("ALERT-FIRING")
def test_no_blocking_alert(
    alert_source: str, alerting: AlertingEvidence, evidence: Evidence
) -> None:
    policy = alerting.policy
    services = list(alerting.profile.release.services)
    where, alerts = alerting.active_alerts()
    firing, silenced = live_rules.blocking_alerts(
        alerts, policy.blocking_severities, services, policy.service_labels, policy.exempt_alerts
    )
    scope = ", ".join(services) if services else "all services"
    evidence.add(
        source=where,
        services=scope,
        firing=[f"{a.name} {dict(a.labels)}" for a in firing],
        silenced_not_counted=[f"{a.name} {dict(a.labels)}" for a in silenced],
    )
    assert_no_findings(live_rules.firing_findings(firing, scope))


@control("AM-SILENCES")
def test_silences(alertmanager: str, alerting: AlertingEvidence, evidence: Evidence) -> None:
    limit = parse_duration(alerting.policy.max_silence)
    silences = alerting.silences()
    evidence.add(
        active=[
            f"{s.id}: {', '.join(s.matchers)} ({format_duration(s.duration_seconds)})"
            for s in silences
            if s.state == "active"
        ],
        limit=alerting.policy.max_silence,
    )
    assert_no_findings(live_rules.silence_findings(silences, limit))
