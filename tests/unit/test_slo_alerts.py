"""Burn-rate alert coverage: Sloth, Pyrra and hand-written rules recognised; gaps named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.rules.slo_alerts import (
    Rule,
    alert_name,
    burn_rate_rules,
    coverage,
    coverage_findings,
)
from readiness.rules.slo_model import Objective, Sli
from readiness.sources.slo_specs import load_file

DATA = Path(__file__).parent.parent / "data" / "slo"
SLI = Sli(
    total='sum(rate(http_requests_total{service="api"}[{{.window}}]))',
    bad='sum(rate(http_requests_total{service="api",code=~"5.."}[{{.window}}]))',
)
API = Objective("api", "availability", 0.999, 30 * 86400, SLI, "test")


def rules_from_file(path: Path) -> list[Rule]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    out = []
    for group in data["groups"]:
        for r in group["rules"]:
            out.append(
                Rule(
                    name=r.get("alert") or r["record"],
                    kind="alerting" if "alert" in r else "recording",
                    expr=r["expr"],
                    group=group["name"],
                    file=str(path),
                    labels=r.get("labels") or {},
                    annotations=r.get("annotations") or {},
                )
            )
    return out


def test_sloth_generated_rules_are_recognised() -> None:
    (objective,) = load_file(DATA / "sloth/examples/getting-started.yml").objectives
    rules = rules_from_file(DATA / "sloth/examples/_gen/getting-started.yml")
    cov = coverage(objective, rules)
    assert cov.missing == ()
    assert {a.reason for a in cov.alerts} == {"sloth labels"}
    assert {a.rule.name for a in cov.alerts} == {"MyServiceHighErrorRate"}
    # Sloth's example has no runbook annotation: named, unless runbooks are not required
    findings = coverage_findings(cov, require_runbook=True, runbook_hint="x")
    assert findings and all("runbook_url" in f.message for f in findings)
    assert coverage_findings(cov, require_runbook=False, runbook_hint="x") == []


def test_sloth_rules_of_another_slo_do_not_count() -> None:
    (objective,) = load_file(DATA / "sloth/examples/no-alerts.yml").objectives
    rules = rules_from_file(DATA / "sloth/examples/_gen/getting-started.yml")
    cov = coverage(objective, rules)
    assert cov.alerts == () and len(cov.missing) == 4


def _pyrra(long: str, short: str, severity: str, slo: str = "availability") -> Rule:
    return Rule(
        "ErrorBudgetBurn",
        "alerting",
        f'http_requests:burnrate{short}{{slo="{slo}"}} > (14 * (1-0.999)) and '
        f'http_requests:burnrate{long}{{slo="{slo}"}} > (14 * (1-0.999))',
        labels={"long": long, "short": short, "severity": severity, "slo": slo},
        annotations={"runbook_url": "https://r"},
    )


def test_pyrra_rules_with_their_own_windows() -> None:
    rules = [
        _pyrra("1h", "5m", "critical"),
        _pyrra("6h", "30m", "critical"),
        _pyrra("1d", "2h", "warning"),
        _pyrra("4d", "6h", "warning"),
    ]
    cov = coverage(API, rules)
    assert cov.missing == ()
    assert {a.reason for a in cov.alerts} == {"slo label"}
    other = coverage(API, [_pyrra("1h", "5m", "critical", slo="latency")])
    assert other.alerts == ()
    # Pyrra scales its windows to the SLO window: 28 days gives 1h4m, 6h26m, ...
    scaled = Rule(
        "ErrorBudgetBurn",
        "alerting",
        'http_requests:burnrate5m{slo="availability"} > (14 * (1-0.999)) and '
        'http_requests:burnrate1h4m{slo="availability"} > (14 * (1-0.999))',
        labels={"severity": "critical", "slo": "availability"},
        annotations={"runbook_url": "https://r"},
    )
    (match,) = coverage(API, [scaled]).alerts
    assert match.windows == frozenset({300, 3840})
    assert coverage(API, [scaled]).covered["page 14.4x over 1h and 5m"] == ("ErrorBudgetBurn",)


def test_hand_written_rule_recognised_by_metrics_and_windows() -> None:
    recording = Rule(
        "service:errors:ratio_rate1h",
        "recording",
        'sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h]))',
    )
    alert = Rule(
        "ApiBurn",
        "alerting",
        "service:errors:ratio_rate1h > 14.4 * 0.001 and "
        'sum(rate(http_requests_total{code=~"5.."}[5m])) / '
        "sum(rate(http_requests_total[5m])) > 14.4 * 0.001",
        labels={"severity": "page"},
        annotations={"runbook_url": "https://r"},
    )
    unrelated = Rule(
        "DiskFull", "alerting", "node_filesystem_avail_bytes < 1e9", labels={"severity": "page"}
    )
    cov = coverage(API, [recording, alert, unrelated])
    assert [a.rule.name for a in cov.alerts] == ["ApiBurn"]
    assert cov.alerts[0].windows == frozenset({300, 3600})
    assert [c.label for c in cov.missing] == [
        "page 6x over 6h and 30m",
        "ticket 3x over 1d and 2h",
        "ticket 1x over 3d and 6h",
    ]


def test_missing_rules_are_named_with_the_rule_that_should_exist() -> None:
    (finding,) = coverage_findings(coverage(API, []), True, "https://runbooks/api")
    assert "lacks burn-rate alerts for: page 14.4x over 1h and 5m" in finding.message
    assert "no burn-rate alerting rule for this SLO is loaded" in finding.found
    suggestion = yaml.safe_load(finding.fix.split("\n", 1)[1])
    assert [r["alert"] for r in suggestion] == ["ApiAvailabilityErrorBudgetBurn"] * 2
    # severities base.yaml's alerting.allowed_severities accepts
    assert [r["labels"]["severity"] for r in suggestion] == ["critical", "warning"]
    assert "[1h]" in suggestion[0]["expr"] and "(14.4 * 0.001)" in suggestion[0]["expr"]
    assert suggestion[0]["annotations"]["runbook_url"] == "https://runbooks/api"


def test_generated_rules_cover_their_objective() -> None:
    generated = burn_rate_rules(API, "https://r")
    rules = [
        Rule(
            str(r["alert"]),
            "alerting",
            str(r["expr"]),
            labels=r["labels"],
            annotations=r["annotations"],
        )  # type: ignore[arg-type]
        for r in generated
    ]
    cov = coverage(API, rules)
    assert cov.missing == () and coverage_findings(cov, True, "x") == []


@pytest.mark.parametrize(
    ("objective", "name"),
    [
        (API, "ApiAvailabilityErrorBudgetBurn"),
        (
            Objective("k8s-apiserver", "requests-latency", 0.99, 86400, SLI, "t"),
            "K8sApiserverRequestsLatencyErrorBudgetBurn",
        ),
    ],
)
def test_alert_name(objective: Objective, name: str) -> None:
    assert alert_name(objective) == name


def test_failing_rule_health_is_reported() -> None:
    broken = [
        Rule(
            str(r["alert"]),
            "alerting",
            str(r["expr"]),
            labels=r["labels"],  # type: ignore[arg-type]
            annotations=r["annotations"],
            health="err",
        )  # type: ignore[arg-type]
        for r in burn_rate_rules(API, "https://r")
    ]
    findings = coverage_findings(coverage(API, broken), True, "x")
    assert findings and "last evaluation failed" in findings[0].message
