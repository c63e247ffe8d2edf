"""Routing, targets, cardinality, retention, firing alerts, silences (pure)."""

from __future__ import annotations

import pytest

from readiness.profile.alerting import RoutingRequirement
from readiness.rules import alerting_live as live
from readiness.rules.alerting_model import (
    AlertmanagerStatus,
    MetricCount,
    PromAlert,
    ScrapeTarget,
    Silence,
    TsdbStatus,
)
from readiness.rules.alerting_routes import (
    ConfigShapeError,
    matcher_accepts,
    parse_config,
    parse_matchers,
    route_alert,
)

CONFIG = {
    "route": {
        "receiver": "default",
        "group_by": ["alertname"],
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
            {"matchers": ['severity=~"critical|warning"'], "receiver": "chat", "group_by": ["..."]},
            {"match": {"team": "db"}, "routes": [{"match_re": {"env": "prod|stage"}}]},
            {"matchers": ["severity=info"], "receiver": "void"},
        ],
    },
    "receivers": [
        {"name": "default", "email_configs": [{"to": "a@example.invalid"}]},
        {"name": "pager", "pagerduty_configs": [{"routing_key": "<secret>"}]},
        {"name": "chat", "slack_configs": [{"channel": "#x"}, {"channel": "#y"}]},
        {"name": "void"},
    ],
    "inhibit_rules": [{"source_matchers": ["a=b"], "target_matchers": ["c=d"]}],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('severity="critical"', ['severity="critical"']),
        ("severity=critical", ['severity="critical"']),
        ('{a=~"x|y", b!="c,d"}', ['a=~"x|y"', 'b!="c,d"']),
        ('  team !~ "db.*"  ', ['team!~"db.*"']),
        ('msg="say \\"hi\\""', ['msg="say \\"hi\\""']),
    ],
)
def test_parse_matchers(text: str, expected: list[str]) -> None:
    assert [str(m) for m in parse_matchers(text)] == expected


@pytest.mark.parametrize("text", ["=x", "just-a-name", 'a=~"("'])
def test_bad_matchers(text: str) -> None:
    with pytest.raises(ConfigShapeError):
        parse_matchers(text)


def test_regex_matchers_are_anchored() -> None:
    (m,) = parse_matchers('env=~"prod"')
    assert matcher_accepts(m, {"env": "prod"}) and not matcher_accepts(m, {"env": "production"})
    (neg,) = parse_matchers('env!~"prod|stage"')
    assert matcher_accepts(neg, {}) and not matcher_accepts(neg, {"env": "stage"})


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"severity": "critical"}, ["pager", "chat"]),
        ({"severity": "warning"}, ["chat"]),
        ({"severity": "info"}, ["void"]),
        ({"severity": "none"}, ["default"]),
        ({"team": "db", "env": "prod"}, ["default"]),  # inherited receiver
        ({"team": "db", "env": "dev"}, ["default"]),
    ],
)
def test_route_walk(labels: dict[str, str], receivers: list[str]) -> None:
    config = parse_config(CONFIG)
    assert [m.receiver for m in route_alert(config.route, labels)] == receivers


def test_route_descriptions_and_inherited_group_by() -> None:
    config = parse_config(CONFIG)
    pager, chat = route_alert(config.route, {"severity": "critical"})
    assert pager.describe() == "{severity=\"critical\"}: receiver 'pager' (group_by: alertname)"
    assert chat.route.group_by == ("...",)
    db = route_alert(config.route, {"team": "db", "env": "prod"})[0]
    assert len(db.path) == 3 and db.route.group_by == ("alertname",)
    assert config.inhibit_rules == 1
    assert config.receivers["chat"].integrations == ("slack", "slack")


def test_config_shape_errors() -> None:
    with pytest.raises(ConfigShapeError, match="no top-level route"):
        parse_config({"receivers": []})
    with pytest.raises(ConfigShapeError, match="receiver without a name"):
        parse_config({"route": {"receiver": "x"}, "receivers": [{}]})
    with pytest.raises(ConfigShapeError, match="root route has no receiver"):
        parse_config({"route": {}, "receivers": []})


def test_routing_requirements() -> None:
    config = parse_config(CONFIG)
    paging = RoutingRequirement(integrations=["pagerduty", "opsgenie", "webhook"])
    assert live.routing_findings("critical", paging, config)[1] == []
    _, findings = live.routing_findings("warning", paging, config)
    assert [f.message for f in findings] == [
        "warning alerts reach no pagerduty/opsgenie/webhook integration"
    ]
    assert findings[0].found == "chat (slack, slack)"
    _, findings = live.routing_findings("info", RoutingRequirement(), config)
    assert [f.message for f in findings] == [
        "info alerts route to receiver 'void', which has no integration: nobody is notified"
    ]
    assert live.routing_findings("warning", RoutingRequirement(), config)[1] == []
    routed = live.routing_findings("x", RoutingRequirement(labels={"team": "db"}), config)[0]
    assert [m.receiver for m in routed] == ["default"]


def test_undefined_receivers_and_escalation() -> None:
    config = parse_config({**CONFIG, "receivers": CONFIG["receivers"][:2]})
    status = AlertmanagerStatus("0.25.0", "disabled", "", config)
    assert [f.message for f in live.config_findings(status)] == [
        "routes name receiver 'chat', which is not defined",
        "routes name receiver 'void', which is not defined",
    ]
    settling = AlertmanagerStatus("0.25.0", "settling", "", parse_config(CONFIG))
    assert [f.message for f in live.config_findings(settling)] == [
        "Alertmanager cluster is settling"
    ]
    full = parse_config(CONFIG)
    assert [f.message for f in live.escalation_findings(full, ["pager", "void", "cto"])] == [
        "escalation receiver 'void' has no integration",
        "escalation receiver 'cto' is not defined in Alertmanager",
    ]
    extra = parse_config(
        {
            **CONFIG,
            "receivers": [
                *CONFIG["receivers"],
                {"name": "l2", "webhook_configs": [{"url": "http://x"}]},
            ],
        }
    )
    assert [f.message for f in live.escalation_findings(extra, ["l2"])] == [
        "escalation receiver 'l2' is not used by any route"
    ]


def target(job: str, health: str, error: str = "", **labels: str) -> ScrapeTarget:
    return ScrapeTarget(job, f"http://127.0.0.1:1/{job}", health, {"job": job, **labels}, error)


def test_targets_services_exporters() -> None:
    targets = [
        target("api", "up", service="checkout"),
        target("legacy", "down", "connection refused", service="billing"),
        target("node", "up"),
    ]
    assert [f.message for f in live.target_findings(targets)] == [
        "target http://127.0.0.1:1/legacy (job 'legacy') is down: connection refused"
    ]
    assert live.target_findings([])[0].message == "Prometheus scrapes no targets"
    labels = ["service", "job"]
    assert live.service_target_findings("checkout", targets, labels) == []
    assert live.service_target_findings("api", targets, labels) == []
    assert [f.message for f in live.service_target_findings("billing", targets, labels)] == [
        "service 'billing': target http://127.0.0.1:1/legacy is down: connection refused"
    ]
    (missing,) = live.service_target_findings("search", targets, labels)
    assert missing.expected == 'a target labelled service="search" or job="search"'
    assert live.exporter_findings("node-exporter", "node(-exporter)?", targets) == []
    assert (
        live.exporter_findings("cadvisor", "cadvisor", targets)[0].found
        == "jobs: api, legacy, node"
    )
    assert "no target is up" in live.exporter_findings("legacy", "legacy", targets)[0].message


def test_cardinality_and_retention() -> None:
    status = TsdbStatus(120, (MetricCount("http_requests_total", 80), MetricCount("up", 3)))
    assert live.cardinality_findings(status, 121) == []
    (finding,) = live.cardinality_findings(status, 100)
    assert finding.found == "120 series; largest metrics: http_requests_total (80), up (3)"
    assert live.retention_findings(30 * 86400, 30 * 86400, "x") == []
    (short,) = live.retention_findings(
        15 * 86400, 28 * 86400, "SLO checkout/availability window 28d"
    )
    assert (
        short.message == "retention 15d is shorter than 28d (SLO checkout/availability window 28d)"
    )
    assert "size only" in live.retention_findings(None, 86400, "x")[0].message


def am_alert(
    name: str, severity: str, state: str = "active", silenced: bool = False, **labels: str
) -> PromAlert:
    return PromAlert(
        {"alertname": name, "severity": severity, **labels},
        state,
        silenced_by=("s1",) if silenced else (),
    )


def test_blocking_alerts_and_silences() -> None:
    alerts = [
        am_alert("A", "critical", service="checkout"),
        am_alert("B", "critical", "suppressed", True, service="checkout"),
        am_alert("C", "warning", service="checkout"),
        am_alert("D", "critical", job="search"),
        am_alert("Watchdog", "critical"),
    ]
    firing, silenced = live.blocking_alerts(
        alerts, ["critical"], ["checkout"], ["service", "job"], ["Watchdog"]
    )
    assert [a.name for a in firing] == ["A"] and [a.name for a in silenced] == ["B"]
    firing, _ = live.blocking_alerts(alerts, ["critical"], [], ["service"], ["Watchdog"])
    assert [a.name for a in firing] == ["A", "D"]
    (finding,) = live.firing_findings(firing[:1], "checkout")
    assert finding.message == "critical alert 'A' is firing for checkout"
    silences = [
        Silence("s1", ('a="b"',), "", "2026-01-31T00:00:00Z", "me", "why", "active", 30 * 86400),
        Silence("s2", ('a="c"',), "", "", "me", "", "active", 3600),
        Silence("s3", ('a="d"',), "", "", "me", "", "expired", 90 * 86400),
    ]
    (long,) = live.silence_findings(silences, 7 * 86400)
    assert long.message == "silence s1 lasts 30d (longer than 7d)"


def test_top_metrics_chart() -> None:
    status = TsdbStatus(500, (MetricCount("a<b", 300), MetricCount("up", 20)))
    svg = live.top_metrics_svg(status, 1000)
    assert svg.startswith("<svg") and "a&lt;b" in svg and ">300<" in svg
    assert "head series 500 (50% of the limit 1000)" in svg
    assert live.top_metrics_svg(TsdbStatus(0), 10) == ""
