"""Required alerts: matching by name, labels and what the expression watches (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness.profile import load_profile
from readiness.profile.alerting import AlertingPolicy, RequiredAlert, Watch
from readiness.rules import alerting as rules
from readiness.rules.alerting_model import Rule, RuleGroup, RuleSet
from readiness.sources.rulefiles import expand, load_rule_file
from tests.realworld import REALWORLD


def alert(
    name: str, expr: str, for_: float = 300, severity: str | None = "critical", **labels: str
) -> Rule:
    if severity:
        labels["severity"] = severity
    return Rule("alerting", name, expr, "g", "f.yml", 1, for_, labels=labels)


def record(name: str, expr: str) -> Rule:
    return Rule("recording", name, expr, "g", "f.yml", 1)


SERVICE_DOWN = RequiredAlert(
    watches=[Watch(metric="up", op="==", threshold=0)], min_for="1m", severity="critical"
)
ERRORS = RequiredAlert(
    watches=[
        Watch(metric=".*_requests_total", filters={"code|status": "500"}, op=">", threshold=0.05)
    ]
)


@pytest.mark.parametrize(
    ("req", "rule", "ok", "problems"),
    [
        (SERVICE_DOWN, alert("ServiceDown", "up == 0", 60), True, ()),
        (SERVICE_DOWN, alert("X", 'up{job="api"} == 0', 600), True, ()),
        (SERVICE_DOWN, alert("X", "up == 0", 0), False, ("for 0s < 1m",)),
        (SERVICE_DOWN, alert("X", "up == 0", 60, "page"), False, ("severity page instead of critical",)),
        (SERVICE_DOWN, alert("X", "up == 1", 60), False, ("fires at == 1, expected == 0",)),
        (SERVICE_DOWN, alert("X", "absent(up)", 60), None, ()),
        (SERVICE_DOWN, alert("X", "sum(up) > bool 0", 60), None, ()),
        (ERRORS, alert("E", 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05'), True, ()),
        (ERRORS, alert("E", 'rate(http_requests_total{status="500"}[5m]) / rate(http_requests_total[5m]) * 100 > 2'), True, ()),
        (ERRORS, alert("E", 'rate(http_requests_total{code=~"5.."}[5m]) / rate(http_requests_total[5m]) > 0.2'), False, ("fires at > 0.2, expected > 0.05",)),
        (ERRORS, alert("E", 'rate(http_requests_total{code="200"}[5m]) > 0.05'), None, ()),
        (ERRORS, alert("E", "rate(http_requests_total[5m]) > 0.05"), None, ()),
        (RequiredAlert(name="Checkout.*", labels={"team": "pay.*"}), alert("CheckoutSlow", "x > 1", team="payments"), True, ()),
        (RequiredAlert(name="Checkout.*", labels={"team": "pay.*"}), alert("CheckoutSlow", "x > 1", team="search"), None, ()),
        (RequiredAlert(name="A", max_for="10m"), alert("A", "x > 1", 3600), False, ("for 1h > 10m",)),
        (RequiredAlert(watches=[Watch(metric=".*_bucket", function="histogram_quantile", op=">")], severity="warning"),
         alert("Slow", "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 0.5", severity="warning"), True, ()),
        (RequiredAlert(watches=[Watch(metric=".*_bucket", function="histogram_quantile")]),
         alert("Slow", "rate(h_bucket[5m]) > 0.5"), None, ()),
    ],
)  # fmt: skip
def test_requirement_matching(
    req: RequiredAlert, rule: Rule, ok: bool | None, problems: tuple[str, ...]
) -> None:
    result = rules.check_requirement("r", req, [rule])
    if ok is None:  # not even a candidate
        assert not result.satisfied_by and not result.candidates
        (finding,) = rules.requirement_findings(result, req, "prometheus", 1)
        assert finding.message == "required alert 'r' is missing from prometheus"
        assert finding.found == "none of the 1 alerting rules matches"
    elif ok:
        assert result.satisfied_by == [rule]
        assert rules.requirement_findings(result, req, "prometheus", 1) == []
    else:
        assert [c.problems for c in result.candidates] == [problems]
        (finding,) = rules.requirement_findings(result, req, "prometheus", 1)
        assert "comes close but " + "; ".join(problems) in finding.message


def test_recording_rules_are_followed() -> None:
    rs = [
        record("job:errors:ratio5m", 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))'),
        alert("HighErrors", "job:errors:ratio5m > 0.01"),
    ]  # fmt: skip
    assert [r.name for r in rules.check_requirement("e", ERRORS, rs).satisfied_by] == ["HighErrors"]


def test_per_service_requirement() -> None:
    req = RequiredAlert(
        name="{service}Down|ServiceDown",
        per_service=True,
        watches=[Watch(metric="up", selects={"job": "{service}"}, op="==")],
    )
    checkout = rules.for_service(req, "checkout")
    assert checkout.watches[0].selects == {"job": "checkout"}
    rs = [alert("ServiceDown", 'up{job=~"cart|search"} == 0')]
    assert not rules.check_requirement("d", checkout, rs).satisfied_by
    assert rules.check_requirement("d", rules.for_service(req, "cart"), rs).satisfied_by


def test_requirement_described_for_humans() -> None:
    text = rules.describe_requirement(
        ERRORS.model_copy(update={"min_for": "5m", "severity": "critical"})
    )
    assert text == (
        "an alerting rule with watching .*_requests_total{code|status filtered to 500} > 0.05; "
        "for >= 5m; severity critical"
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "a required alert needs a name, labels or watches"),
        ({"name": "("}, "not a valid regular expression"),
        ({"watches": [{"metric": "up", "threshold": 1}]}, "threshold needs op"),
        ({"name": "A", "min_for": "5 min"}, "not a duration"),
        ({"name": "A", "bogus": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_requirements_are_profile_errors(data: dict[str, object], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        RequiredAlert.model_validate(data)


def test_policy_defaults_and_base_profile() -> None:
    policy = AlertingPolicy()
    assert policy.allowed_severities == ["critical", "warning", "info"]
    assert policy.max_head_series == 10_000_000
    assert policy.routing["critical"].integrations == ["pagerduty", "opsgenie", "webhook"]
    base = load_profile("base").alerting
    assert list(base.required_alerts) == [
        "service-down", "high-error-rate", "high-latency", "db-pool-saturation",
        "db-connection-errors", "cpu-high", "memory-high", "disk-high",
    ]  # fmt: skip
    assert base.required_alerts["service-down"].severity == "critical"


BASE_ON_REALWORLD = {
    "service-down": [],
    "high-error-rate": [
        "ThanosQueryHttpRequestQueryErrorRateHigh",
        "ThanosQueryHttpRequestQueryRangeErrorRateHigh",
        "ThanosReceiveHttpRequestErrorRateHigh",
    ],
    "high-latency": ["KubernetesApiServerLatency"],  # p99 > 1 s; Thanos' > 2 s fire too late
    "memory-high": ["HostOutOfMemory"],
    "disk-high": ["NodeFilesystemSpaceFillingUp"],
}


def test_base_requirements_on_the_realworld_rules() -> None:
    base_dir = REALWORLD / "prometheus-rules"
    sets = [load_rule_file(f) for _, fs in expand([str(base_dir)], base_dir) for f in fs]
    everything = RuleSet("all", tuple(g for s in sets for g in s.groups))
    required = load_profile("base").alerting.required_alerts
    for key, names in BASE_ON_REALWORLD.items():
        result = rules.check_requirement(key, required[key], everything)
        assert [r.name for r in result.satisfied_by] == names, key
    service_down = rules.check_requirement("service-down", required["service-down"], everything)
    near = {c.rule.name: c.problems for c in service_down.candidates}
    assert near["InstanceDown"] == ("severity page instead of critical",)


def test_groups_and_health() -> None:
    bad = Rule("recording", "r", "x", "g", "f.yml", health="err", last_error="boom")
    groups = [
        RuleGroup("g", "f.yml", (bad,), last_evaluation="2026-01-01T00:00:00Z"),
        RuleGroup("h", "f.yml", (), last_evaluation=None),
    ]
    assert [f.message for f in rules.health_findings(groups)] == [
        "f.yml group 'g' record 'r': health err: boom",
        "f.yml group 'h' has never been evaluated",
    ]


DB_RULES = """
groups:
  - name: db
    rules:
      - alert: HikariPoolAlmostFull
        expr: hikaricp_connections_active / hikaricp_connections_max > 0.9
        for: 5m
        labels: {severity: warning}
      - alert: HikariPoolFullTooLate
        expr: hikaricp_connections_active / hikaricp_connections_max * 100 > 95
        labels: {severity: warning}
      - alert: MysqlConnectionErrors
        expr: increase(mysql_global_status_connection_errors_total[5m]) > 0
        labels: {severity: warning}
      - alert: CheckoutP95Slow
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1
        labels: {severity: warning}
      - alert: CheckoutP95TooLate
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1.5
        labels: {severity: warning}
"""


def test_practice_alerts_pin_their_thresholds(tmp_path: Path) -> None:
    """Pool > 90 %, connection errors, p95 > 1 s (the production-readiness checklist)."""
    path = tmp_path / "db.yml"
    path.write_text(DB_RULES)
    rule_set = load_rule_file(path)
    required = load_profile("base").alerting.required_alerts
    got = {
        key: [r.name for r in rules.check_requirement(key, required[key], rule_set).satisfied_by]
        for key in ("db-pool-saturation", "db-connection-errors", "high-latency")
    }
    assert got == {
        "db-pool-saturation": ["HikariPoolAlmostFull"],
        "db-connection-errors": ["MysqlConnectionErrors"],
        "high-latency": ["CheckoutP95Slow"],
    }
    late = rules.check_requirement("db-pool-saturation", required["db-pool-saturation"], rule_set)
    near = {c.rule.name: c.problems for c in late.candidates}
    assert near["HikariPoolFullTooLate"] == ("fires at > 95, expected > 0.9",)
