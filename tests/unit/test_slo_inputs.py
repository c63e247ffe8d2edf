"""Every SLO spec kind with every metric source goes through every SLO rule without a crash.

An objective readiness cannot evaluate (a non-Prometheus metric source, a threshold SLI, a
Sloth plugin, a Pyrra bool-gauge) must say why, and every rule either judges it or raises
a SourceError with that reason (the check then ends as *error*), never an AssertionError,
KeyError or TypeError. The rules hold no ``assert`` at all.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from readiness.errors import SourceError
from readiness.rules import slo as rules
from readiness.rules.slo_alerts import Rule, burn_rate_rules, coverage, coverage_findings
from readiness.rules.slo_model import Objective, error_ratio_expr, events_expr
from readiness.sources.slo_specs import load_file

RULES_DIR = Path(__file__).parent.parent.parent / "readiness" / "rules"
SOURCES = [
    "Prometheus",
    "prometheus",
    "Datadog",
    "NewRelic",
    "CloudWatch",
    "BigQuery",
    "Dynatrace",
    "Elasticsearch",
    "Graphite",
    "Splunk",
    "AppDynamics",
    "Lightstep",
    "InfluxDB",
    "",  # metricSourceRef only
]
PROM = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'
BAD = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'


def _source(kind: str, query: str) -> dict[str, Any]:
    if not kind:
        return {"metricSource": {"metricSourceRef": "my-source", "spec": {"query": query}}}
    return {"metricSource": {"type": kind, "spec": {"query": query}}}


def _openslo_v1(kind: str, shape: str) -> list[dict[str, Any]]:
    indicator: dict[str, Any]
    if shape == "threshold":
        indicator = {"thresholdMetric": _source(kind, PROM)}
    elif shape == "raw":
        indicator = {
            "ratioMetric": {"counter": True, "rawType": "failure", "raw": _source(kind, PROM)}
        }
    else:
        part = "good" if shape == "good" else "bad"
        indicator = {
            "ratioMetric": {"counter": True, part: _source(kind, BAD), "total": _source(kind, PROM)}
        }
    objective: dict[str, Any] = {"displayName": "ok", "target": 0.99}
    if shape == "threshold":
        objective.update(op="lt", value=300)
    sli = {
        "apiVersion": "openslo/v1",
        "kind": "SLI",
        "metadata": {"name": "sli"},
        "spec": indicator,
    }
    slo = {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "api"},
        "spec": {
            "service": "api",
            "indicatorRef": "sli",
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [objective],
        },
    }
    return [sli, slo]


def _openslo_v1alpha(kind: str, shape: str) -> list[dict[str, Any]]:
    metric = {"source": kind or "prometheus", "queryType": "promql", "query": PROM}
    spec: dict[str, Any] = {
        "service": "api",
        "budgetingMethod": "Occurrences",
        "timeWindows": [{"unit": "Day", "count": 28, "isRolling": True}],
    }
    if shape == "threshold":
        spec["indicator"] = {"thresholdMetric": metric}
        spec["objectives"] = [{"op": "lt", "value": 300, "target": 0.99}]
    else:
        spec["objectives"] = [
            {"value": 1, "target": 0.99, "ratioMetrics": {"good": metric, "total": metric}}
        ]
    return [
        {
            "apiVersion": "openslo/v1alpha",
            "kind": "SLO",
            "metadata": {"name": "api"},
            "spec": spec,
        }
    ]


SLOTH_SLIS = {
    "events": {"events": {"error_query": BAD, "total_query": PROM}},
    "raw": {"raw": {"error_ratio_query": f"{BAD} / {PROM}"}},
    "plugin": {"plugin": {"id": "sloth-common/kubernetes/apiserver/availability"}},
}
PYRRA = {
    "ratio": {"ratio": {"errors": {"metric": 'r{code="5"}'}, "total": {"metric": "r"}}},
    "latency": {
        "latency": {"success": {"metric": 'h_bucket{le="1"}'}, "total": {"metric": "h_count"}}
    },
    "bool_gauge": {"bool_gauge": {"metric": "probe_success"}},
    "latencyNative": {"latencyNative": {"latency": "1s", "total": {"metric": "h"}}},
}


def _cases() -> list[tuple[str, str]]:
    cases = []
    for kind in SOURCES:
        for shape in ("good", "bad", "raw", "threshold"):
            cases.append(
                (f"openslo-v1-{shape}-{kind or 'ref'}", json.dumps(_openslo_v1(kind, shape)))
            )
        for shape in ("ratio", "threshold"):
            cases.append(
                (
                    f"openslo-v1alpha-{shape}-{kind or 'ref'}",
                    json.dumps(_openslo_v1alpha(kind, shape)),
                )
            )
    for shape, sli in SLOTH_SLIS.items():
        spec = {
            "version": "prometheus/v1",
            "service": "api",
            "slos": [
                {"name": "avail", "objective": 99.9, "sli": sli, "alerting": {"name": "Burn"}}
            ],
        }
        cases.append((f"sloth-{shape}", json.dumps(spec)))
        crd_sli = {
            "events": {"events": {"errorQuery": BAD, "totalQuery": PROM}},
            "raw": {"raw": {"errorRatioQuery": f"{BAD} / {PROM}"}},
            "plugin": sli,
        }[shape]
        crd = {
            "apiVersion": "sloth.slok.dev/v1",
            "kind": "PrometheusServiceLevel",
            "metadata": {"name": "api"},
            "spec": {
                "service": "api",
                "slos": [
                    {
                        "name": "avail",
                        "objective": 99.9,
                        "sli": crd_sli,
                        "alerting": {"name": "Burn"},
                    }
                ],
            },
        }
        cases.append((f"sloth-crd-{shape}", json.dumps(crd)))
    for shape, indicator in PYRRA.items():
        pyrra = {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"target": "99", "window": "4w", "indicator": indicator},
        }
        cases.append((f"pyrra-{shape}", json.dumps(pyrra)))
    native = {
        "slos": [
            {
                "service": "api",
                "objectives": [{"name": "a", "target": 99.9, "sli": {"total": PROM, "error": BAD}}],
            }
        ]
    }
    cases.append(("native", json.dumps(native)))
    return cases


CASES = _cases()
LOADED_RULES = [
    Rule("ApiBurn", "alerting", f"{BAD} / {PROM} > 0.0144", labels={"severity": "critical"}),
    Rule(
        "SlothPage",
        "alerting",
        "x > 1",
        labels={"sloth_service": "api", "sloth_slo": "avail", "long": "1h", "short": "5m"},
    ),
    Rule("slo:rate1h", "recording", PROM),
]


def _every_rule(o: Objective) -> None:
    """Call every pure SLO rule on the objective, as the checks do."""
    cov = coverage(o, LOADED_RULES)
    coverage_findings(cov, require_runbook=True, runbook_hint="https://runbooks.example.com/x")
    burn_rate_rules(o, "https://runbooks.example.com/x")
    for window in ("5m", "1h", o.window_text):
        error_ratio_expr(o, window)
        events_expr(o, window)
    m = rules.Measurement(o, 0.0, 0.001, dict.fromkeys(rules.BURN_WINDOWS, 0.02), 1.0, 3600, None)
    budget = rules.budget_of(o, m.error_ratio)
    rules.attainment_findings(o, budget)
    states = rules.conditions_now(rules.burn_rates(o, m.window_error_ratios))
    rules.burn_findings(o, states, "page")
    rules.burn_data_problem(o, states, "ticket")
    rules.rapid_burns(m)
    rules.burn_down(m)


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_every_spec_kind_and_metric_source(text: str, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    objectives = load_file(path).objectives
    assert objectives
    for o in objectives:
        evaluable = bool(o.sli.total or o.sli.error_ratio)
        assert evaluable == (not o.unsupported), o
        try:
            _every_rule(o)
        except SourceError as exc:
            assert o.unsupported, f"{o.id}: {exc}"
            assert "cannot be evaluated" in exc.reason
        else:
            assert not o.unsupported, f"{o.id} is not evaluable but every rule judged it"


def test_cases_are_distinct_and_many() -> None:
    ids = [c[0] for c in CASES]
    assert len(set(ids)) == len(SOURCES) * 6 + len(SLOTH_SLIS) * 2 + len(PYRRA) + 1


def test_no_assert_in_rules() -> None:
    """Rules never assert on input (grep-clean): unsupported input is skipped or an error."""
    found = []
    for path in sorted(RULES_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        found += [f"{path.name}:{n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    assert found == []


def test_the_reported_crash_is_an_error_with_its_reason(tmp_path: Path) -> None:
    """The issue's input: an OpenSLO objective over Datadog, judged by SLO-ALERTS' rules."""
    path = tmp_path / "datadog.yaml"
    path.write_text(json.dumps(_openslo_v1("Datadog", "good")))
    (o,) = load_file(path).objectives
    assert "'Datadog' is not Prometheus" in o.unsupported
    with pytest.raises(SourceError, match="metric source 'Datadog'"):
        coverage_findings(coverage(o, []), True, "https://runbooks.example.com/x")
