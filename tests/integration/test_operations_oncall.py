"""On-call, escalation, monitoring and runbook links against real Alertmanager and Prometheus."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.rules import operations as rules
from readiness.rules.operations_oncall import escalation_findings, paging_findings, receivers_for
from readiness.sources import checklist, oncall
from readiness.sources.alertmanager import AlertmanagerClient
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from tests.fixtures.operations import PromStack

pytestmark = pytest.mark.integration

PAGING = ["pagerduty_configs", "opsgenie_configs"]
LEVELS = ["oncall-engineer", "tech-lead", "engineering-manager", "cto"]


def _am(url: str) -> AlertmanagerClient:
    return AlertmanagerClient(ApiClient("alertmanager", Endpoint(url=url, timeout=5, retries=0)))


def test_critical_route_pages_on_the_good_alertmanager(ops_alertmanagers: dict[str, str]) -> None:
    config = _am(ops_alertmanagers["good"]).status().config
    assert receivers_for(config.route, {"severity": "critical"}) == ["oncall-engineer"]
    assert receivers_for(config.route, {"severity": "critical", "escalation": "4"}) == ["cto"]
    assert paging_findings(config, {"severity": "critical"}, PAGING) == []


def test_escalation_levels_read_from_the_running_config(ops_alertmanagers: dict[str, str]) -> None:
    config = _am(ops_alertmanagers["good"]).status().config
    findings = escalation_findings(config, LEVELS)
    assert [f.message for f in findings] == [
        "escalation level 3 'engineering-manager' has no integration"
    ]


def test_email_only_alertmanager_fails_paging_and_escalation(
    ops_alertmanagers: dict[str, str],
) -> None:
    config = _am(ops_alertmanagers["bad"]).status().config
    (finding,) = paging_findings(config, {"severity": "critical"}, PAGING)
    assert "reach no paging integration" in finding.message
    assert finding.found == "routed to team-mail (email_configs)"
    assert len(escalation_findings(config, LEVELS)) == 4


def test_unreachable_alertmanager_is_a_source_error() -> None:
    from readiness.demo.procs import free_port

    with pytest.raises(SourceError, match="alertmanager: cannot reach"):
        _am(f"http://127.0.0.1:{free_port()}").status()


def test_monitoring_state_from_real_prometheus(ops_prometheus: PromStack) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    state = oncall.monitoring_state(prom)
    assert state.alerting_rules == 3
    assert state.unhealthy_rules == ()
    assert state.active_alertmanagers == (f"{ops_prometheus.alertmanager}/api/v2/alerts",)
    assert rules.monitoring_findings(state) == []


def test_runbook_links_resolve_over_http_and_files(
    ops_prometheus: PromStack, tmp_path: Path
) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    links = [
        checklist.runbook_link(r.name, r.annotations.get("runbook_url"), tmp_path, tmp_path)
        for r in prom.rule_set().alerts
    ]
    by_alert = {lk.alert: lk for lk in links}
    assert by_alert["HighErrorRate"].resolved
    assert not by_alert["DiskFull"].resolved and by_alert["DiskFull"].detail == "HTTP 404"
    assert by_alert["CertificateExpiry"].url is None
    messages = [f.message for f in rules.runbook_link_findings(links, require_url=True)]
    assert messages == [
        "1 alert without runbook_url: CertificateExpiry",
        f"runbook of alert DiskFull does not resolve: {ops_prometheus.runbooks}/disk-full.md",
    ]
    names = [lk.alert for lk in links]
    missing = rules.missing_runbooks(names, ["database-outage"], ["high-error-rate", "disk_full"])
    assert [f.message for f in missing] == [
        "1 alert without a runbook: CertificateExpiry",
        "1 incident type without a runbook: database-outage",
    ]
