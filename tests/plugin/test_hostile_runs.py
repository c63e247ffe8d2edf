"""Careless settings around a run end as clear messages, never INTERNALERROR (pytester)."""

from __future__ import annotations

import pytest

from tests.plugin.test_plugin import profile_text, report, run


def test_report_dir_that_is_a_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "out").write_text("not a directory")
    result = run(pytester, profile_text(), "--report-dir=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*report directory*out is a file, not a directory*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_unwritable_job_summary_is_said_and_the_reports_are_still_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "missing" / "summary.md"))
    result = run(pytester, profile_text(), subprocess=True)
    assert result.ret == 1  # the fixture's checks fail; the run itself is fine
    result.stderr.fnmatch_lines(["*cannot write the job summary*GITHUB_STEP_SUMMARY*"])
    assert report(pytester)["summary"]["failed"] >= 1
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_short_secret_does_not_rewrite_report_text(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORT", "test")  # equals the profile's environment name
    extra = (
        "targets:\n  prometheus: {url: 'http://127.0.0.1:9', auth: {bearer_token: '${SHORT}'}}\n"
    )
    result = run(pytester, profile_text(extra))
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # refused: too short to be a secret
    result.stderr.fnmatch_lines(["*bearer_token*too short*"])


SLOW_CHECKS = """
import time
from readiness import assert_no_findings, control, parametrize
from readiness.checking import profile_of

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [(n, n) for n in ("a", "b", "c", "d")])

@control("HTTP-HEALTH")
def test_health(target, evidence):
    evidence.add(target=target)
    time.sleep(1.5)
    assert_no_findings([])
"""


def test_checks_not_started_by_gate_deadline_end_as_error_deadline(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, profile_text(gate="{fail_on: high, deadline: 2}"), checks=SLOW_CHECKS)
    assert result.ret == 1
    checks = {c["target"]: c for c in report(pytester)["checks"]}
    assert checks["a"]["outcome"] == "passed"
    late = [c for c in checks.values() if c["outcome"] == "error"]
    assert late, "checks after the deadline end as errors"
    assert all("deadline: the run reached gate.deadline (2s)" in c["message"] for c in late)
    assert checks["d"]["outcome"] == "error"
