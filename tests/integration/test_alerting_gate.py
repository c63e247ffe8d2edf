"""The alerting checks end to end: the plugin against real Prometheus and Alertmanager."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from readiness.demo.procs import free_port
from readiness.plugin import checks_dir
from tests.fixtures.prometheus import AlertStack
from tests.realworld import REALWORLD

pytestmark = pytest.mark.integration

CHECKS = str(checks_dir() / "test_alerting.py")

REQUIRED = """
  required_alerts:
    service-down:
      watches: [{metric: up, op: "==", threshold: 0}]
      min_for: 1m
      severity: critical
    high-error-rate:
      watches:
        - metric: http_requests_total
          filters: {code: "500"}
          op: ">"
          threshold: 0.05
      severity: critical
    service-up-watched:
      per_service: true
      watches: [{metric: up, selects: {job: "{service}"}, op: "=="}]
"""

BAD_RULE_FILE = """\
groups:
  - name: release
    rules:
      - alert: BrokenExpr
        expr: sum(rate(http_requests_total[5m]) > 1
        labels: {severity: critical}
        annotations: {summary: s, description: d, runbook_url: RUNBOOK}
      - alert: BrokenTemplate
        expr: up == 0
        for: 5m
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.job", description: d, runbook_url: RUNBOOK}
      - alert: Fine
        expr: checkout_queue_depth > 100
        for: 5m
        labels: {severity: critical}
        annotations: {summary: s, description: d, runbook_url: RUNBOOK}
"""


def write_profile(path: Path, stack: AlertStack, targets: str, body: str) -> Path:
    text = textwrap.dedent(
        f"""\
        extends: none
        environment: test
        release: {{services: [checkout]}}
        targets:
          prometheus: {{url: "{stack.prometheus_url}", timeout: 3, retries: 0}}
          alertmanager: {{url: "{stack.alertmanager_url}", timeout: 3, retries: 0}}
        """
    )
    path.write_text(text + textwrap.indent(textwrap.dedent(targets), "  ") + body)
    return path


def run_gate(cwd: Path, profile: Path) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            CHECKS,
            f"--profile={profile}",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--report-dir={cwd / 'reports'}",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((cwd / "reports" / "readiness-report.json").read_text())
    return proc.returncode, report, proc.stdout + proc.stderr


def outcomes(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["control"], c["target"]): c for c in report["checks"]}


@pytest.fixture(scope="module")
def flawed_run(
    flawed_stack: AlertStack, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[tuple[str, str], dict[str, Any]], str]:
    cwd = tmp_path_factory.mktemp("flawed-run")
    (cwd / "release").mkdir()
    (cwd / "release" / "rules.yml").write_text(
        BAD_RULE_FILE.replace("RUNBOOK", f"{flawed_stack.side.url}/runbooks/MissingSeries")
    )
    profile = write_profile(
        cwd / "flawed.yaml",
        flawed_stack,
        """\
        services:
          - {name: checkout, url: "http://127.0.0.1:1"}
          - {name: billing, url: "http://127.0.0.1:1"}
        rule_files: [release/*.yml, missing/*.yml]
        """,
        """\
alerting:
  exporters: {node-exporter: "node(-exporter)?"}
  max_head_series: 10
  min_retention: 30d
  escalation_receivers: [pager-null, oncall-l2]
  max_silence: 7d"""
        + REQUIRED
        + """\
    certificate-expiry:
      watches: [{metric: probe_ssl_earliest_cert_expiry, op: "<"}]
""",
    )
    code, report, out = run_gate(cwd, profile)
    return code, outcomes(report), out


@pytest.fixture(scope="module")
def clean_run(
    clean_stack: AlertStack, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[tuple[str, str], dict[str, Any]], str]:
    cwd = tmp_path_factory.mktemp("clean-run")
    profile = write_profile(
        cwd / "clean.yaml",
        clean_stack,
        'services: [{name: checkout, url: "http://127.0.0.1:1"}]\n',
        """\
alerting:
  exporters: {node-exporter: "node(-exporter)?"}
  escalation_receivers: [pager, chat]"""
        + REQUIRED,
    )
    code, report, out = run_gate(cwd, profile)
    return code, outcomes(report), out


FLAWED_EXPECTED = {
    ("ALERT-REQUIRED", "service-down"): "passed",
    ("ALERT-REQUIRED", "high-error-rate"): "failed",
    ("ALERT-REQUIRED", "certificate-expiry"): "failed",
    ("ALERT-REQUIRED", "service-up-watched/checkout"): "passed",
    ("ALERT-REQUIRED", "service-up-watched/billing"): "passed",
    ("ALERT-RULES-VALID", "prometheus"): "passed",
    ("ALERT-RULES-VALID", "release/rules.yml"): "failed",
    ("ALERT-RULES-VALID", "missing/*.yml"): "error",
    ("ALERT-SEVERITY", "prometheus"): "failed",
    ("ALERT-ANNOTATIONS", "prometheus"): "passed",
    ("ALERT-RUNBOOK", "prometheus"): "warned",
    ("ALERT-RUNBOOK", "release/rules.yml"): "passed",
    ("ALERT-FOR", "prometheus"): "warned",
    ("PROM-RULE-HEALTH", "prometheus"): "failed",
    ("ALERT-SERIES", "prometheus"): "warned",
    ("ALERT-SERIES", "release/rules.yml"): "warned",
    ("ALERT-SERIES", "missing/*.yml"): "error",
    ("PROM-TARGETS", "prometheus"): "failed",
    ("PROM-SERVICE-TARGET", "checkout"): "passed",
    ("PROM-SERVICE-TARGET", "billing"): "failed",
    ("PROM-SERVICE-TARGET", "node-exporter"): "failed",
    ("PROM-CARDINALITY", "prometheus"): "warned",
    ("PROM-RETENTION", "prometheus"): "warned",
    ("AM-CONFIG", "alertmanager"): "passed",
    ("AM-ROUTING", "critical"): "failed",
    ("AM-ROUTING", "warning"): "passed",
    ("AM-ESCALATION", "alertmanager"): "warned",
    ("ALERT-FIRING", "alertmanager"): "failed",
    ("AM-SILENCES", "alertmanager"): "warned",
}


def test_flawed_stack_outcomes(flawed_run: tuple[int, dict[Any, Any], str]) -> None:
    code, checks, out = flawed_run
    got = {key: checks[key]["outcome"] for key in FLAWED_EXPECTED if key in checks}
    assert got == FLAWED_EXPECTED, out[-3000:]
    assert code == 1


def test_clean_stack_passes_everything(clean_run: tuple[int, dict[Any, Any], str]) -> None:
    code, checks, out = clean_run
    not_passed = {
        k: (c["outcome"], c["message"]) for k, c in checks.items() if c["outcome"] != "passed"
    }
    assert not_passed == {}, out[-3000:]
    assert code == 0
    controls = {k[0] for k in checks}
    assert controls == {c for c, _ in FLAWED_EXPECTED}
    assert ("ALERT-REQUIRED", "high-error-rate") in checks


def message(run: tuple[int, dict[Any, Any], str], control: str, target: str) -> str:
    return str(run[1][(control, target)]["message"])


def test_missing_required_alert_says_what_is_expected(flawed_run: Any) -> None:
    text = message(flawed_run, "ALERT-REQUIRED", "certificate-expiry")
    assert (
        "required alert 'certificate-expiry' is missing from prometheus and 1 rule file(s)" in text
    )
    assert "watching probe_ssl_earliest_cert_expiry <" in text
    assert "none of the 9 alerting rules matches" in text  # 6 live + 3 in release/rules.yml


def test_near_miss_of_a_required_alert(flawed_run: Any) -> None:
    text = message(flawed_run, "ALERT-REQUIRED", "high-error-rate")
    assert "alert 'DeadRunbook' comes close but fires at > 100, expected > 0.05" in text
    assert "http_requests_total{code filtered to 500} > 0.05" in text


def test_broken_release_rules_name_file_line_and_rule(flawed_run: Any) -> None:
    text = message(flawed_run, "ALERT-RULES-VALID", "release/rules.yml")
    assert (
        "release/rules.yml:4 group 'release' alert 'BrokenExpr': could not parse expression" in text
    )
    assert (
        "release/rules.yml:8 group 'release' alert 'BrokenTemplate': annotation 'summary': "
        "template: __alert_BrokenTemplate:1: unclosed action"
    ) in text
    assert "'Fine'" not in text


def test_unmatched_rule_file_pattern_is_an_error(flawed_run: Any) -> None:
    assert "matches no file" in message(flawed_run, "ALERT-RULES-VALID", "missing/*.yml")


def test_runbook_missing_and_unreachable(flawed_run: Any, flawed_stack: AlertStack) -> None:
    text = message(flawed_run, "ALERT-RUNBOOK", "prometheus")
    assert "alert 'NoRunbook': no runbook_url annotation" in text
    assert f"runbook {flawed_stack.side.url}/wiki/dead-runbook is not reachable (HTTP 404)" in text
    assert "ServiceDown" not in text


def test_each_runbook_fetched_once_per_run(flawed_run: Any, flawed_stack: AlertStack) -> None:
    hits = flawed_stack.side.hits
    # MissingSeries' runbook is linked by the live rule and by all three release rules
    assert hits.get("/runbooks/MissingSeries") == 1
    assert hits.get("/wiki/dead-runbook") == 1


def test_rule_failing_at_evaluation(flawed_run: Any) -> None:
    text = message(flawed_run, "PROM-RULE-HEALTH", "prometheus")
    assert "record 'bad:label_replace': health err: invalid regular expression" in text
    assert "the last configuration reload failed: Prometheus still runs the rules loaded at" in text


def test_severity_and_for(flawed_run: Any) -> None:
    assert "alert 'NoSeverity': no severity label" in message(
        flawed_run, "ALERT-SEVERITY", "prometheus"
    )
    text = message(flawed_run, "ALERT-FOR", "prometheus")
    assert "alert 'ShortFor': for 30s is shorter than 5m" in text
    assert "alert 'NoSeverity': for 10m" not in text


def test_series_that_do_not_exist(flawed_run: Any) -> None:
    text = message(flawed_run, "ALERT-SERIES", "prometheus")
    assert (
        "nonexistent_metric_total matches no series in the last 1h (read by MissingSeries)" in text
    )
    assert "http_requests_total" not in text
    release = message(flawed_run, "ALERT-SERIES", "release/rules.yml")
    assert release.startswith(
        "checkout_queue_depth matches no series in the last 1h (read by Fine)"
    )
    assert "BrokenExpr" not in release  # does not parse: ALERT-RULES-VALID reports it


def test_target_down_with_scrape_error(flawed_run: Any, flawed_stack: AlertStack) -> None:
    text = message(flawed_run, "PROM-TARGETS", "prometheus")
    assert (
        f"target http://127.0.0.1:{flawed_stack.down_port}/metrics (job 'legacy') is down" in text
    )
    assert "connection refused" in text
    assert "service 'billing' has no scrape target" in message(
        flawed_run, "PROM-SERVICE-TARGET", "billing"
    )


def test_cardinality_and_retention(flawed_run: Any) -> None:
    text = message(flawed_run, "PROM-CARDINALITY", "prometheus")
    assert "reach the limit 10" in text and "largest metrics:" in text
    evidence = flawed_run[1][("PROM-CARDINALITY", "prometheus")]["evidence"]
    assert evidence["head_series"] >= 10 and evidence["top_metrics"]
    assert "retention 15d is shorter than 30d (alerting.min_retention 30d)" in message(
        flawed_run, "PROM-RETENTION", "prometheus"
    )


def test_critical_route_to_receiver_without_integration(flawed_run: Any) -> None:
    text = message(flawed_run, "AM-ROUTING", "critical")
    assert "critical alerts route to receiver 'pager-null', which has no integration" in text
    evidence = flawed_run[1][("AM-ROUTING", "warning")]["evidence"]
    assert evidence["integrations"] == {"tickets": ["webhook"]}


def test_firing_critical_alert_blocks_and_silenced_one_is_listed(flawed_run: Any) -> None:
    check = flawed_run[1][("ALERT-FIRING", "alertmanager")]
    assert "critical alert 'CheckoutBroken' is firing for checkout" in check["message"]
    assert "CheckoutSilenced" not in check["message"]
    assert "OtherTeam" not in check["message"]  # not a released service
    assert any("CheckoutSilenced" in s for s in check["evidence"]["silenced_not_counted"])


def test_long_silence_and_escalation(flawed_run: Any) -> None:
    assert "lasts 30d" in message(flawed_run, "AM-SILENCES", "alertmanager")
    text = message(flawed_run, "AM-ESCALATION", "alertmanager")
    assert "escalation receiver 'pager-null' has no integration" in text
    assert "escalation receiver 'oncall-l2' is not defined in Alertmanager" in text


def test_clean_run_evidence(clean_run: Any) -> None:
    checks = clean_run[1]
    routing = checks[("AM-ROUTING", "critical")]["evidence"]
    assert routing["integrations"] == {"pager": ["webhook"], "chat": ["webhook"]}
    required = checks[("ALERT-REQUIRED", "high-error-rate")]["evidence"]
    assert required["satisfied_by"] and "HighErrorRate" in required["satisfied_by"][0]


def test_unreachable_servers_error_and_the_rest_runs(pytester: pytest.Pytester) -> None:
    rules = REALWORLD / "prometheus-rules/thanos/examples/alerts/alerts.yaml"
    dead = f"http://127.0.0.1:{free_port()}"
    pytester.makefile(
        ".yaml",
        prof=textwrap.dedent(
            f"""\
            extends: none
            environment: test
            targets:
              prometheus: {{url: "{dead}", timeout: 1, retries: 0}}
              alertmanager: {{url: "{dead}", timeout: 1, retries: 0}}
              rule_files: ["{rules}"]
            alerting:
              runbooks: {{check_reachable: false}}
              required_alerts: {{}}
            """
        ),
    )
    result = pytester.runpytest_subprocess(CHECKS, "--profile=prof.yaml", "-p", "no:cacheprovider")
    assert result.ret == 1
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    by = {(c["control"], c["target"]): c for c in report["checks"]}
    for key in [
        ("PROM-TARGETS", "prometheus"),
        ("PROM-RULE-HEALTH", "prometheus"),
        ("AM-CONFIG", "alertmanager"),
        ("AM-ROUTING", "critical"),
        ("ALERT-SEVERITY", "prometheus"),
    ]:
        assert by[key]["outcome"] == "error", by[key]
        assert f"cannot reach {dead}" in by[key]["message"]
    file_id = "alerts/alerts.yaml"  # relative to the directory of the pattern
    assert by[("ALERT-RULES-VALID", file_id)]["outcome"] == "passed"
    assert by[("ALERT-SEVERITY", file_id)]["outcome"] == "passed"
