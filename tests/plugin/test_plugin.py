"""The plugin run end to end in a throwaway project (pytester)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import textwrap
from typing import Any

import pytest

TODAY = dt.date.today()
SOON = TODAY + dt.timedelta(days=10)
PAST = TODAY - dt.timedelta(days=3)

CHECKS = """
import pytest
from readiness import Finding, SourceError, assert_no_findings, control, parametrize
from readiness.checking import profile_of

TARGETS = {"cart": "ok", "pay": "bad", "ledger": "down"}

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", sorted(TARGETS.items()))

@control("HTTP-HEALTH")
def test_health(target, evidence):
    evidence.add(state=target)
    if target == "down":
        raise SourceError("ledger", "cannot reach http://127.0.0.1:9/healthz: connection refused")
    assert_no_findings(
        [Finding("health endpoint failed", expected="HTTP 200", found="HTTP 503",
                 fix="make /healthz answer")] if target == "bad" else []
    )
"""


# The checks below bring their own targets: their families run without profile targets.
FAMILIES = "families: {http: {enabled: true}, kubernetes: {enabled: true}}\n"


def profile_text(extra: str = "", gate: str = "{fail_on: high}") -> str:
    families = "" if "families:" in extra else FAMILIES  # the caller's own wins
    return f"extends: none\nenvironment: test\ngate: {gate}\n{families}" + textwrap.dedent(extra)


def run(
    pytester: pytest.Pytester,
    profile: str,
    *args: str,
    checks: str = CHECKS,
    subprocess: bool = False,
) -> pytest.RunResult:
    pytester.makefile(".yaml", prof=profile)
    pytester.makepyfile(test_checks=checks)
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    return runner("--profile=prof.yaml", "-p", "no:cacheprovider", *args, "test_checks.py")


def report(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (pytester.path / "reports" / "readiness-report.json").read_text()
    )
    return data


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    return {c["target"]: c["outcome"] for c in data["checks"]}


def test_failures_block_and_errors_are_errors(pytester: pytest.Pytester) -> None:
    result = run(pytester, profile_text())
    assert result.ret == 1
    data = report(pytester)
    assert outcomes(data) == {"cart": "passed", "pay": "failed", "ledger": "error"}
    assert data["gate"] == {
        "fail_on": "high",
        "errors_block": True,
        "state": "failed",
        "passed": False,
        "reason": "2 blocking findings",
        "errors": [],
        "blocking": [
            "test_checks.py::test_health[ledger]",
            "test_checks.py::test_health[pay]",
        ],
    }
    by_target = {c["target"]: c for c in data["checks"]}
    pay = by_target["pay"]
    assert pay["control"] == "HTTP-HEALTH" and pay["family"] == "http"
    assert "expected: HTTP 200" in pay["message"] and "found:    HTTP 503" in pay["message"]
    assert pay["remediation"]
    assert pay["evidence"] == {"state": "bad"}
    assert "connection refused" in by_target["ledger"]["message"]
    result.stdout.fnmatch_lines(
        ["*gate FAILED*", "*critical HTTP-HEALTH ?pay? health endpoint failed*"]
    )


def test_json_contract_and_digest(pytester: pytest.Pytester) -> None:
    run(pytester, profile_text())
    path = pytester.path / "reports" / "readiness-report.json"
    data = report(pytester)
    for key in (
        "schema",
        "profile",
        "profile_sha256",
        "environment",
        "started_at",
        "finished_at",
        "run",
        "gate",
        "summary",
        "checks",
        "dora",
    ):
        assert key in data, key
    assert data["schema"] == "readiness.report/v1"
    assert data["profile"] == "prof"
    assert set(data["run"]) >= {"id", "commit", "ci", "user", "host"}
    assert data["summary"] == {
        "passed": 1,
        "failed": 1,
        "warned": 0,
        "waived": 0,
        "skipped": 0,
        "error": 1,
    }
    assert set(data["checks"][0]) >= {
        "nodeid",
        "control",
        "family",
        "severity",
        "target",
        "outcome",
        "message",
        "evidence",
        "waiver",
    }
    digest = (path.parent / "readiness-report.json.sha256").read_text().split()[0]
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (path.parent / "junit.xml").is_file()
    html = (path.parent / "readiness-report.html").read_text()
    assert data["run"]["id"] in html
    assert "Gate FAILED" in html and "HTTP-HEALTH" in html and "How to fix" in html


def test_below_the_gate_is_a_warning(pytester: pytest.Pytester) -> None:
    prof = profile_text(
        "controls:\n  HTTP-HEALTH: {severity: medium, reason: advisory here}\n",
        gate="{fail_on: high, errors_block: false}",
    )
    result = run(pytester, prof)
    assert result.ret == 0
    data = report(pytester)
    assert outcomes(data) == {"cart": "passed", "pay": "warned", "ledger": "error"}
    assert data["gate"]["passed"] is True
    result.stdout.fnmatch_lines(["*gate PASSED*", "*1 passed, 0 failed, 1 warned*"])
    pay = next(c for c in data["checks"] if c["target"] == "pay")
    assert "below the gate" in pay["message"] and pay["severity"] == "medium"
    # --fail-on lowers the gate from the command line.
    result = run(pytester, prof, "--fail-on=medium")
    assert result.ret == 1
    assert outcomes(report(pytester))["pay"] == "failed"


def test_waivers_active_expired_and_stale(pytester: pytest.Pytester) -> None:
    prof = profile_text(
        f"""
        gate: {{fail_on: high, errors_block: false}}
        waivers:
          - {{control: HTTP-HEALTH, target: "pay*", reason: vendor fix due, approver: ann,
             expires: {SOON}}}
          - {{control: HTTP-HEALTH, target: "cart*", reason: flaky, approver: bob,
             expires: {SOON}}}
        """,
        gate="{fail_on: high}",
    ).replace("gate: {fail_on: high}\n", "", 1)
    result = run(pytester, prof)
    assert result.ret == 0, result.stdout.str()
    data = report(pytester)
    assert outcomes(data)["pay"] == "waived"
    pay = next(c for c in data["checks"] if c["target"] == "pay")
    assert pay["waiver"]["approver"] == "ann"
    assert f"waived until {SOON} by ann" in pay["message"]
    stale = [w for w in data["waivers"] if w["stale"]]
    assert [w["target"] for w in stale] == ["cart*"]
    assert "passed" in stale[0]["stale_reason"]
    result.stdout.fnmatch_lines(["*stale waiver: HTTP-HEALTH ?cart*?: *"])

    expired = prof.replace(
        f'expires: {SOON}}}\n  - {{control: HTTP-HEALTH, target: "cart*"',
        f'expires: {PAST}}}\n  - {{control: HTTP-HEALTH, target: "cart*"',
        1,
    )
    assert expired != prof
    result = run(pytester, expired)
    assert result.ret == 1
    pay = next(c for c in report(pytester)["checks"] if c["target"] == "pay")
    assert pay["outcome"] == "failed"
    assert f"waiver expired on {PAST}" in pay["message"]


def test_skips_disabled_controls_and_empty_targets(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        profile_text("controls:\n  HTTP-HEALTH: {enabled: false, reason: no HTTP here}\n"),
    )
    # Every check skipped: nothing was judged, so the gate cannot pass.
    assert result.ret == 1
    data = report(pytester)
    assert set(outcomes(data).values()) == {"skipped"}
    assert "disabled by the profile: no HTTP here" in data["checks"][0]["message"]
    assert data["gate"]["state"] == "error" and not data["gate"]["passed"]
    assert "all 3 selected checks were skipped" in data["gate"]["reason"]

    empty = CHECKS.replace(
        'TARGETS = {"cart": "ok", "pay": "bad", "ledger": "down"}', "TARGETS = {}"
    )
    result = run(pytester, profile_text(), checks=empty)
    assert result.ret == 1
    data = report(pytester)
    assert [c["outcome"] for c in data["checks"]] == ["skipped"]
    assert "no target configured" in data["checks"][0]["message"]


def test_unknown_control_is_a_collection_error(pytester: pytest.Pytester) -> None:
    checks = "from readiness import control\n@control('NOPE-1')\ndef test_x():\n    pass\n"
    result = run(pytester, profile_text(), checks=checks, subprocess=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*unknown control 'NOPE-1'*"])


def test_broken_profile_stops_before_any_check(pytester: pytest.Pytester) -> None:
    result = run(pytester, "environment: x\ngate:\n  fail_on: severe\n")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*broken profile*prof.yaml:3, key 'gate.fail_on'*severe*"])
    assert report(pytester)["checks"] == []  # an error report, see test_reports.py


def test_without_profile_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


def test_without_profile_the_gate_is_not_even_imported(pytester: pytest.Pytester) -> None:
    """Every pytest run on a machine with readiness installed loads its plugin; without
    --profile only the options are there (the gate, its reports, profile schema and DORA
    store are not imported), so other test suites do not pay for them."""
    pytester.makepyfile(
        test_plain="import sys\n"
        "def test_modules():\n"
        "    print('LOADED=' + ','.join(sorted(m for m in sys.modules if 'readiness' in m)))\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--help")
    assert "--profile" in result.stdout.str() and "--dora-store" in result.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    assert result.ret == 0
    line = next(x for x in result.stdout.lines if "LOADED=" in x)
    loaded = set(line.split("LOADED=", 1)[1].split(","))
    assert "readiness.plugin" in loaded
    heavy = {
        "readiness.gate_plugin",
        "readiness.session",
        "readiness.profile",
        "readiness.dora.plugin",
        "readiness.snapshot.plugin",
        "readiness.verdict.plugin",
        "readiness.attestations",
    }
    assert not heavy & loaded, sorted(heavy & loaded)


def test_a_check_run_without_profile_skips_saying_why(pytester: pytest.Pytester) -> None:
    """A team's own check module run by a plain ``pytest`` (strict markers on) finds the
    control marker and the ``profile`` and ``evidence`` fixtures, and skips."""
    pytester.makepyfile(
        test_mine="from readiness import control\n"
        "@control('HTTP-HEALTH')\n"
        "def test_mine(evidence, profile):\n"
        "    evidence.add(seen=True)\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no --profile given*"])


def test_interrupted_run_still_writes_the_report(pytester: pytest.Pytester) -> None:
    checks = CHECKS.replace(
        "    evidence.add(state=target)\n",
        '    evidence.add(state=target)\n    if target == "ok":\n        raise KeyboardInterrupt\n',
    )
    result = run(pytester, profile_text(), checks=checks, subprocess=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    data = report(pytester)
    assert data["interrupted"] is True
    assert data["gate"]["passed"] is False


def test_job_summary_is_appended(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run(pytester, profile_text())
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert "## Readiness: gate FAILED" in text
    assert "| critical | health endpoint failed | 1 | pay | HTTP-HEALTH |" in text


def test_report_dir_option(pytester: pytest.Pytester) -> None:
    run(pytester, profile_text(), "--report-dir=out/r")
    assert (pytester.path / "out" / "r" / "readiness-report.json").is_file()
    assert (pytester.path / "out" / "r" / "readiness-report.html").is_file()


def test_xdist_one_report_nothing_lost_or_doubled(pytester: pytest.Pytester) -> None:
    many = CHECKS.replace(
        'TARGETS = {"cart": "ok", "pay": "bad", "ledger": "down"}',
        'TARGETS = {f"svc{i:02d}": ("bad" if i % 5 == 0 else "ok") for i in range(30)}',
    )
    pytester.makefile(".yaml", prof=profile_text())
    pytester.makepyfile(test_checks=many)
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-n", "2", "-p", "no:cacheprovider", "test_checks.py"
    )
    assert result.ret == 1
    data = report(pytester)
    assert len(data["checks"]) == 30
    assert len({c["nodeid"] for c in data["checks"]}) == 30
    assert data["summary"]["failed"] == 6 and data["summary"]["passed"] == 24
