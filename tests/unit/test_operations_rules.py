"""Pure operations rules: backups, Alertmanager routing, runbooks, rollback, shutdown,
post-mortem template, observability."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness.rules import operations as rules
from readiness.rules import operations_observability as obs
from readiness.rules.alerting_routes import (
    ConfigShapeError,
    matcher_accepts,
    parse_config,
    parse_matchers,
)
from readiness.rules.operations_backups import (
    Backup,
    BackupSet,
    freshness,
    retention,
    size_collapse,
)
from readiness.rules.operations_oncall import escalation_findings, paging_findings, receivers_for
from readiness.sources.backups import timestamp_in_name
from readiness.sources.operations_k8s import specs_from_objects

NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)


def _set(ages_hours: list[float], sizes: list[int] | None = None) -> BackupSet:
    backups = tuple(
        Backup(f"b{i}", NOW - dt.timedelta(hours=h), sizes[i] if sizes else None)
        for i, h in enumerate(sorted(ages_hours, reverse=True))
    )
    return BackupSet("db", "directory", backups, backups[-1:])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db-2026-11-23T0200.sql.gz", dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)),
        ("db_20261123_020304.dump", dt.datetime(2026, 11, 23, 2, 3, 4, tzinfo=dt.UTC)),
        ("shop-2026-11-23.tar", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)),
        ("v12-20261399.tar", None),
        ("latest.tar", None),
    ],
)
def test_timestamp_in_name(name: str, expected: dt.datetime | None) -> None:
    assert timestamp_in_name(name) == expected


@pytest.mark.parametrize(
    ("ages", "count"),
    [([1], 0), ([25.9], 0), ([27], 1), ([-0.05], 0), ([-1], 1), ([], 1)],
)
def test_freshness(ages: list[float], count: int) -> None:
    found = _set(ages) if ages else BackupSet("db", "directory", (), ())
    assert len(freshness(found, NOW, 24, 2)) == count


def test_retention_counts_gaps_inside_the_window_only() -> None:
    daily = [24.0 * d for d in range(31)]
    assert retention(_set(daily), NOW, 30, 24, 2) == []
    old_gap = [h for h in daily if h not in (24 * 29,)] + [24 * 40, 24 * 45]
    assert retention(_set(old_gap), NOW, 30, 24, 2)[0].message.endswith("1 gap in the last 30 days")
    far = [h for h in daily] + [24 * 60]
    assert retention(_set(far), NOW, 30, 24, 2) == []


@pytest.mark.parametrize(
    ("sizes", "count"),
    [
        ([100] * 8, 0),
        ([100] * 7 + [51], 0),
        ([100] * 7 + [49], 1),
        ([100] * 7 + [0], 1),
        ([100], 0),
        ([10, 10, 1000, 1000, 1000, 1000, 1000, 1000, 900], 0),
    ],
)
def test_size_collapse(sizes: list[int], count: int) -> None:
    ages = [float(len(sizes) - i) for i in range(len(sizes))]
    assert len(size_collapse(_set(ages, sizes), 0.5, 7)) == count


AM = {
    "route": {
        "receiver": "default",
        "routes": [
            {"matchers": ['alertname="Watchdog"'], "receiver": "null"},
            {"match": {"severity": "critical"}, "receiver": "pager", "continue": True},
            {"match_re": {"severity": "crit.*|page"}, "receiver": "slack"},
            {"matchers": ["team=payments"], "routes": [{"matchers": ['env!="dev"']}]},
        ],
    },
    "receivers": [
        {"name": "default", "email_configs": [{"to": "a@b"}]},
        {"name": "null"},
        {"name": "pager", "pagerduty_configs": [{"routing_key": "k"}]},
        {"name": "slack", "slack_configs": [{"channel": "#ops"}], "webhook_configs": []},
    ],
}


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"severity": "critical"}, ["pager", "slack"]),
        ({"severity": "page"}, ["slack"]),
        ({"alertname": "Watchdog", "severity": "critical"}, ["null"]),
        ({"team": "payments", "env": "prod"}, ["default"]),
        ({"severity": "info"}, ["default"]),
    ],
)
def test_receivers_for(labels: dict[str, str], receivers: list[str]) -> None:
    assert receivers_for(parse_config(AM).route, labels) == receivers


@pytest.mark.parametrize(
    ("text", "labels", "hit"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "critical"}, True),
        ('severity!="critical"', {}, True),
        ('severity=~"crit|page"', {"severity": "crit"}, True),
        ('severity=~"crit"', {"severity": "critical"}, False),
        ('severity!~"crit.*"', {"severity": "critical"}, False),
    ],
)
def test_matchers(text: str, labels: dict[str, str], hit: bool) -> None:
    (matcher,) = parse_matchers(text)
    assert matcher_accepts(matcher, labels) is hit


def test_paging_and_escalation() -> None:
    config = parse_config(AM)
    assert paging_findings(config, {"severity": "critical"}, ["pagerduty_configs"]) == []
    (miss,) = paging_findings(config, {"severity": "page"}, ["pagerduty_configs"])
    assert miss.found == "routed to slack (slack_configs)"
    messages = [f.message for f in escalation_findings(config, ["pager", "null", "cto"])]
    assert messages == [
        "escalation level 2 'null' has no integration",
        "escalation level 3 'cto' has no receiver",
    ]


@pytest.mark.parametrize("data", [None, {}, {"route": []}, {"route": {}, "receivers": [{}]}])
def test_bad_alertmanager_config(data: object) -> None:
    with pytest.raises(ConfigShapeError):
        parse_config(data)


def test_runbook_names_match_loosely() -> None:
    assert (
        rules.missing_runbooks(
            ["HighErrorRate"], ["Database outage"], ["high_error_rate", "database-outage"]
        )
        == []
    )
    (finding,) = rules.missing_runbooks(["A", "B", "A"], [], ["a"])
    assert finding.message == "1 alert without a runbook: B"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "rollback document docs/rollback.md does not exist"),
        ("  \n", "rollback document docs/rollback.md is empty"),
        ("Call the team.", "rollback document docs/rollback.md does not name the rollback command"),
        ("Run `kubectl rollout undo deployment/cart -n shop`.", None),
        ("helm rollback shop 41", None),
    ],
)
def test_rollback_document(text: str | None, message: str | None) -> None:
    findings = rules.rollback_document_findings(
        "docs/rollback.md", text, r"kubectl rollout undo|helm rollback"
    )
    assert [f.message for f in findings] == ([message] if message else [])


DEPLOY = {
    "metadata": {
        "name": "cart",
        "namespace": "shop",
        "uid": "d1",
        "annotations": {"deployment.kubernetes.io/revision": "3"},
    },
    "spec": {
        "revisionHistoryLimit": 0,
        "template": {
            "spec": {
                "terminationGracePeriodSeconds": 5,
                "containers": [
                    {
                        "name": "app",
                        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                    },
                    {"name": "sidecar"},
                ],
            }
        },
    },
}


def _rs(revision: str, owner: str = "d1") -> dict[str, object]:
    return {
        "metadata": {
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"kind": "Deployment", "uid": owner}],
        }
    }


def test_specs_from_objects_rollback_and_shutdown() -> None:
    specs = specs_from_objects("prod", [DEPLOY], [_rs("3"), _rs("2"), _rs("1", owner="x")])
    (history,) = specs.histories
    assert (history.workload, history.revision, history.previous_revisions) == (
        "prod/shop/Deployment/cart",
        3,
        1,
    )
    assert [f.message for f in rules.rollout_history_findings(history, 1)] == [
        "prod/shop/Deployment/cart keeps 0 old revisions"
    ]
    (shutdown,) = specs.shutdowns
    messages = [f.message for f in rules.shutdown_findings(shutdown, 10, True)]
    assert messages == [
        "prod/shop/Deployment/cart gets 5s to shut down",
        "prod/shop/Deployment/cart: container sidecar without a preStop hook",
    ]


def test_first_rollout_has_no_previous_revision() -> None:
    history = rules.RolloutHistory("w", None, 1, 0)
    (finding,) = rules.rollout_history_findings(history, 1)
    assert finding.message == "w has no previous revision to roll back to"
    assert rules.shutdown_findings(rules.ShutdownSpec("w", None, ("a",), ()), 10, False) == []


def test_postmortem_template_sections() -> None:
    text = "# Post-mortem\n## Summary\n## Impact\nTimeline\n--------\n## Root cause\n"
    (finding,) = rules.postmortem_findings("pm.md", text, ["summary", "timeline", "action items"])
    assert finding.message == "post-mortem template pm.md lacks section action items"
    assert rules.postmortem_findings("pm.md", text + "## Action items\n", ["action items"]) == []
    assert "does not exist" in rules.postmortem_findings("pm.md", None, ["x"])[0].message


def test_monitoring_and_health_probes() -> None:
    state = rules.MonitoringState(0, ("bad:rule",), ())
    assert len(rules.monitoring_findings(state)) == 3
    assert rules.health_probe_findings(rules.HealthProbe("s", "u", 204)) == []
    assert rules.undeclared_health_finding("wiki").message == "wiki declares no health endpoint"
    (finding,) = rules.health_probe_findings(rules.HealthProbe("s", "u", None, "refused"))
    assert finding.found == "refused"


@pytest.mark.parametrize(
    ("text", "seconds"), [("720h", 2592000), ("30d", 2592000), ("1h30m", 5400), ("0s", 0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert obs.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "h", "1h x"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        obs.parse_duration(text)


def test_structured_ratio_and_grafana_unknown_health() -> None:
    lines = tuple(['{"a": 1}'] * 19 + ["plain"])
    logs = obs.ServiceLogs("s", 15, lines, NOW)
    assert obs.structured_findings(logs, 0.95) == []
    assert len(obs.structured_findings(logs, 0.99)) == 1
    assert len(obs.structured_findings(obs.ServiceLogs("s", 15, ("[1]",), NOW), 0.5)) == 1
    unknown = obs.DatasourceHealth("x", "t", "UNKNOWN", "no health check")
    assert obs.grafana_findings(obs.GrafanaState("ok", "10", (unknown,))) == []
    failing = obs.DatasourceHealth("y", "t", "ERROR", "connection refused")
    (finding,) = obs.grafana_findings(obs.GrafanaState("ok", "10", (unknown, failing)))
    assert finding.found == "ERROR: connection refused"
    assert len(obs.grafana_findings(obs.GrafanaState("failing", "10", ()))) == 2
