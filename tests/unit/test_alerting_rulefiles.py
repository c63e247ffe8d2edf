"""Rule files and PrometheusRule manifests -> typed rules; the real-world files judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.rules import alerting as rules
from readiness.rules.alerting_model import RuleSet, parse_duration
from readiness.sources.rulefiles import expand, load_rule_file, parse_rule_text
from tests.realworld import REALWORLD

REALWORLD = REALWORLD / "prometheus-rules"
EXEMPT = ["Watchdog", "InfoInhibitor"]


def test_plain_file_with_lines_and_fields() -> None:
    text = """\
groups:
  - name: g
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: |
          up == 0
        for: 5m
        keep_firing_for: 1m
        labels: {severity: critical}
        annotations:
          summary: "{{ $labels.job }} down"
"""
    rs = parse_rule_text(text, "f.yml")
    assert rs.problems == ()
    (group,) = rs.groups
    assert (group.name, group.interval_seconds, group.line) == ("g", 30.0, 2)
    record, alert = group.rules
    assert (record.kind, record.name, record.line) == ("recording", "job:up:sum", 5)
    assert (alert.kind, alert.expr, alert.for_seconds, alert.line) == (
        "alerting",
        "up == 0",
        300,
        7,
    )
    assert alert.keep_firing_for_seconds == 60 and alert.severity == "critical"
    assert alert.where == "f.yml:7 group 'g' alert 'Down'"


def test_prometheusrule_manifest_and_list() -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {name: a}
    spec:
      groups:
        - name: a
          rules:
            - {alert: A, expr: up == 0, labels: {severity: warning}}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: other}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: b}
spec:
  groups:
    - name: b
      rules:
        - {record: "b:x", expr: "1"}
"""
    rs = parse_rule_text(text, "m.yaml")
    assert rs.problems == ()
    assert [(g.name, [r.name for r in g.rules]) for g in rs.groups] == [
        ("a", ["A"]),
        ("b", ["b:x"]),
    ]
    assert rs.groups[0].rules[0].line == 11


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("groups: [", "m.yml:1: invalid YAML: expected the node content, but found '<stream end>'"),
        ("rules: []\n", "m.yml:1: field rules not found in type rulefmt.RuleGroups"),
        ("groups:\n  - rules: []\n", "m.yml:2: group name must not be empty"),
        (
            "groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n",
            "m.yml:4: groupname: 'g' is repeated in the same file",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {alert: A, record: b, expr: up}\n",
            "m.yml:4 group 'g' rule 'A': only one of 'record' and 'alert' must be set",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {alert: A}\n",
            "m.yml:4 group 'g' rule 'A': field 'expr' must be set in rule",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {record: bad-name, expr: up}\n",
            "m.yml:4 group 'g' rule 'bad-name': invalid recording rule name: bad-name",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {alert: A, expr: up, for: 5 minutes}\n",
            "m.yml:4 group 'g' rule 'A': not a duration: '5 minutes' (expected e.g. 30s, 5m, "
            "1h30m, 30d)",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {alert: A, expr: up, labels: {1x: y}}\n",
            "m.yml:4 group 'g' rule 'A': invalid label name: 1x",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {record: r, expr: up, for: 1m}\n",
            "m.yml:4 group 'g' rule 'r': invalid field 'for' in recording rule",
        ),
        (
            "groups:\n  - name: g\n    rules:\n      - {alert: A, expr: up, severity: x}\n",
            "m.yml:4 group 'g' rule 'A': field severity not found in type rulefmt.Rule",
        ),
    ],
)
def test_structural_problems_name_file_and_line(text: str, problem: str) -> None:
    rs = parse_rule_text(text, "m.yml")
    assert [p.render() for p in rs.problems] == [problem]
    (finding,) = rules.validity_findings(rs)[:1]
    assert finding.message == problem


def test_unreadable_file_is_a_source_error(tmp_path: Path) -> None:
    from readiness.errors import SourceError

    with pytest.raises(SourceError, match="cannot read rule file"):
        load_rule_file(tmp_path / "absent.yml")


def test_expand_files_dirs_and_globs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.yml").write_text("groups: []")
    (tmp_path / "a" / "y.yaml").write_text("groups: []")
    (tmp_path / "a" / "notes.txt").write_text("")
    got = expand(["a", "a/*.yml", "nothing/*.yml", str(tmp_path / "a" / "y.yaml")], tmp_path)
    names = [(p, [f.name for f in files]) for p, files in got]
    assert names == [
        ("a", ["x.yml", "y.yaml"]),
        ("a/*.yml", ["x.yml"]),
        ("nothing/*.yml", []),
        (str(tmp_path / "a" / "y.yaml"), ["y.yaml"]),
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("30d", 2592000), ("1w", 604800), ("250ms", 0.25)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


# file -> (groups, rules, alerts, validity, severity, annotations, for, runbook) findings,
# with the profile defaults (severities critical/warning/info, summary+description,
# for >= 5m for non-critical, runbook_url required; reachability not checked).
REALWORLD_EXPECTED = {
    "awesome-prometheus-alerts/dist/rules/coredns/embedded-exporter.yml": (1, 1, 1, 0, 0, 0, 0, 1),
    "awesome-prometheus-alerts/dist/rules/host-and-hardware/node-exporter.yml": (
        1, 35, 35, 0, 0, 0, 24, 35,
    ),
    "awesome-prometheus-alerts/dist/rules/kubernetes/kubestate-exporter.yml": (
        1, 37, 37, 0, 0, 0, 15, 37,
    ),
    "awesome-prometheus-alerts/dist/rules/postgresql/postgres-exporter.yml": (
        1, 20, 20, 0, 0, 0, 11, 20,
    ),
    "kube-prometheus/manifests/alertmanager-prometheusRule.yaml": (1, 9, 9, 0, 0, 0, 0, 0),
    "kube-prometheus/manifests/grafana-prometheusRule.yaml": (2, 2, 1, 0, 0, 1, 0, 0),
    "kube-prometheus/manifests/kubeStateMetrics-prometheusRule.yaml": (1, 4, 4, 0, 0, 0, 0, 0),
    "kube-prometheus/manifests/nodeExporter-prometheusRule.yaml": (2, 41, 26, 0, 0, 0, 3, 0),
    "prometheus/cmd/promtool/testdata/rules-bad.yml": (2, 5, 2, 1, 2, 1, 1, 2),
    "prometheus/model/rulefmt/testdata/bad_expr.bad.yaml": (1, 1, 0, 1, 0, 0, 0, 0),
    "thanos/examples/alerts/alerts.yaml": (8, 48, 48, 0, 0, 0, 1, 0),
}  # fmt: skip


def _load(rel: str) -> RuleSet:
    return load_rule_file(REALWORLD / rel, rel)


def _judge(rs: RuleSet) -> tuple[int, ...]:
    return (
        len(rs.groups),
        len(rs.rules),
        len(rs.alerts),
        len(rules.validity_findings(rs)),
        len(rules.severity_findings(rs, ["critical", "warning", "info"], EXEMPT)),
        len(rules.annotation_findings(rs, ["summary", "description"], EXEMPT)),
        len(rules.for_findings(rs, 300, ["critical"], EXEMPT)),
        len(rules.runbook_findings(rs, {}, required=True, exempt=EXEMPT)),
    )


@pytest.mark.parametrize("rel", sorted(REALWORLD_EXPECTED))
def test_realworld_files_load_and_are_judged_exactly(rel: str) -> None:
    rs = _load(rel)
    assert rs.problems == ()
    assert _judge(rs) == REALWORLD_EXPECTED[rel]


def test_every_realworld_rule_file_is_covered() -> None:
    found = {
        str(p.relative_to(REALWORLD)) for _, fs in expand([str(REALWORLD)], REALWORLD) for p in fs
    }
    assert found == set(REALWORLD_EXPECTED)


def test_rules_bad_findings_name_file_and_rule() -> None:
    rel = "prometheus/cmd/promtool/testdata/rules-bad.yml"
    rs = _load(rel)
    assert [f.message for f in rules.validity_findings(rs)] == [
        f"{rel}:6 group 'alerts' alert 'InstanceDown': annotation 'summary': "
        'template: __alert_InstanceDown:1: undefined variable "$label"'
    ]
    assert [f.message for f in rules.severity_findings(rs, ["critical", "warning", "info"])] == [
        f"{rel}:6 group 'alerts' alert 'InstanceDown': severity 'page' is not allowed",
        f"{rel}:14 group 'alerts' alert 'AlwaysFiring': no severity label",
    ]


def test_bad_expr_finding_names_file_and_rule() -> None:
    rel = "prometheus/model/rulefmt/testdata/bad_expr.bad.yaml"
    (finding,) = rules.validity_findings(_load(rel))
    assert finding.message == (
        f"{rel}:4 group 'yolo' record 'yolo': could not parse expression: "
        "expected type matrix in call to function 'rate', got vector"
    )
    assert finding.found == "rate(hi)" and finding.fix
