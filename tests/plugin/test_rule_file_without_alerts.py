"""A rule source with no alerting rule is never a pass for the checks that judge each
alerting rule: they skip, naming the source, and ALERT-RULES-VALID judges the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

# A third-party Grafana alerting provisioning file: YAML with `groups:` and `rules:`, but
# not a Prometheus rule file (a file of the wrong kind a user may well point at).
# Kept with its source and licence in tests/data/wrong-kind/SOURCES.md.
GRAFANA_ALERTING = (
    Path(__file__).resolve().parents[1]
    / "data/wrong-kind/opentelemetry-demo/src/grafana/provisioning/alerting"
    / "opentelemetry-collector-rules.yaml"
)
PER_RULE = ("ALERT-ANNOTATIONS", "ALERT-FOR", "ALERT-RUNBOOK", "ALERT-SEVERITY")


def _run(pytester: pytest.Pytester, rule_file: str) -> tuple[int, list[dict[str, Any]]]:
    pytester.makefile(
        ".yaml",
        prof=f"environment: staging\ntargets:\n  rule_files: [{rule_file}]\n",
    )
    result = pytester.runpytest_subprocess("--profile=prof.yaml", "-p", "no:cacheprovider")
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    return result.ret, [c for c in report["checks"] if c["target"] == rule_file]


def test_a_file_of_another_kind_fails_validity_and_passes_nothing(
    pytester: pytest.Pytester,
) -> None:
    shutil.copy(GRAFANA_ALERTING, pytester.path / "grafana-rules.yaml")
    code, checks = _run(pytester, "grafana-rules.yaml")
    assert code == 1
    outcomes = {c["control"]: c for c in checks}
    valid = outcomes["ALERT-RULES-VALID"]
    assert valid["outcome"] == "failed"
    assert "grafana-rules.yaml:5" in valid["message"]
    for control in PER_RULE:
        check = outcomes[control]
        assert check["outcome"] == "skipped", check
        assert "grafana-rules.yaml: no alerting rule to judge" in check["message"]
    assert not [c for c in checks if c["outcome"] == "passed"]


def test_recording_rules_only_skip_the_alert_checks_and_stay_valid(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "recording.yaml").write_text(
        "groups:\n  - name: r\n    rules:\n"
        "      - record: job:up:sum\n        expr: sum by (job) (up)\n"
    )
    _code, checks = _run(pytester, "recording.yaml")
    outcomes = {c["control"]: c["outcome"] for c in checks}
    assert outcomes["ALERT-RULES-VALID"] == "passed"
    assert {outcomes[c] for c in PER_RULE} == {"skipped"}
