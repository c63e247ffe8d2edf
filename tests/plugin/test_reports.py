"""Every run replaces its reports, and CI reads them right (pytester)."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from tests.plugin.test_plugin import CHECKS, profile_text, report, run

SCHEMA = Path(__file__).parents[1] / "data" / "junit" / "junit-10.xsd"

WARN_WAIVE = """
controls:
  HTTP-HEALTH: {severity: medium, reason: advisory here}
gate: {fail_on: high}
"""


def junit(pytester: pytest.Pytester) -> ET.Element:
    return ET.parse(pytester.path / "reports" / "junit.xml").getroot()


def validate_junit(path: Path) -> None:
    """Validate against Jenkins' junit-10.xsd (what Jenkins xUnit, GitLab and most CI
    readers accept). Its only gap: no <properties> inside <testcase> (pytest's xunit1
    output has them and Jenkins/GitLab read or ignore them), so those are checked on
    their own and left out of the schema check."""
    tree = ET.parse(path)
    for case in tree.getroot().iter("testcase"):
        for props in case.findall("properties"):
            case.remove(props)
    xmlschema.XMLSchema(SCHEMA).validate(tree)


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def props(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_junit_counts_errors_and_names_by_control(pytester: pytest.Pytester) -> None:
    run(pytester, profile_text())
    path = pytester.path / "reports" / "junit.xml"
    validate_junit(path)
    root = junit(pytester)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    assert root.get("errors") == "1"
    by_name = cases(root)
    assert set(by_name) == {"HTTP-HEALTH[cart]", "HTTP-HEALTH[pay]", "HTTP-HEALTH[ledger]"}
    assert {c.get("classname") for c in by_name.values()} == {"readiness.http"}
    ledger = by_name["HTTP-HEALTH[ledger]"].find("error")
    assert ledger is not None and "connection refused" in ledger.get("message", "")
    assert by_name["HTTP-HEALTH[pay]"].find("failure") is not None
    suite_props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert suite_props["gate.state"] == "failed" and suite_props["selection.mode"] == "full"


def test_junit_warned_and_waived_carry_properties(pytester: pytest.Pytester) -> None:
    prof = profile_text(WARN_WAIVE, gate="{fail_on: high, errors_block: false}").replace(
        "gate: {fail_on: high}\n", "", 1
    )
    run(pytester, prof)
    validate_junit(pytester.path / "reports" / "junit.xml")
    pay = cases(junit(pytester))["HTTP-HEALTH[pay]"]
    expected = {
        "id": "HTTP-HEALTH[pay]",
        "outcome": "warned",
        "control": "HTTP-HEALTH",
        "severity": "medium",
        "family": "http",
        "target": "pay",
        "blocking": "false",
    }
    assert {k: props(pay).get(k) for k in expected} == expected
    assert pay.find("failure") is None
    out = pay.find("system-out")
    assert out is not None and "below the gate" in (out.text or "")


def test_junit_is_the_same_from_another_directory(pytester: pytest.Pytester) -> None:
    """The classname and name do not depend on where pytest runs from."""
    run(pytester, profile_text())
    first = sorted((c.get("classname"), c.get("name")) for c in junit(pytester).iter("testcase"))
    sub = pytester.mkdir("elsewhere")
    result = pytester.runpytest(
        "--profile=prof.yaml", "-p", "no:cacheprovider", f"--rootdir={sub}", "test_checks.py"
    )
    assert result.ret == 1
    again = sorted((c.get("classname"), c.get("name")) for c in junit(pytester).iter("testcase"))
    assert first == again


def _plant_stale_pass(report_dir: Path) -> None:
    report_dir.mkdir(exist_ok=True)
    stale = {"gate": {"passed": True, "state": "passed"}, "checks": []}
    (report_dir / "readiness-report.json").write_text(json.dumps(stale))
    (report_dir / "readiness-report.json.sha256").write_text("0" * 64)
    (report_dir / "readiness-report.html").write_text("Gate PASSED")
    (report_dir / "junit.xml").write_text("<testsuites/>")


def _check_error_set(report_dir: Path, reason_part: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report_dir / "readiness-report.json").read_text())
    assert data["gate"]["state"] == "error" and data["gate"]["passed"] is False
    assert reason_part in data["gate"]["reason"]
    digest = (report_dir / "readiness-report.json.sha256").read_text().split()[0]
    assert digest == hashlib.sha256((report_dir / "readiness-report.json").read_bytes()).hexdigest()
    html = (report_dir / "readiness-report.html").read_text()
    assert "Gate PASSED" not in html and "ERROR" in html
    validate_junit(report_dir / "junit.xml")
    root = ET.parse(report_dir / "junit.xml").getroot()
    assert root.get("errors") != "0"
    assert not list(report_dir.glob(".readiness-staging-*"))
    return data


def test_broken_profile_replaces_a_stale_pass(pytester: pytest.Pytester) -> None:
    _plant_stale_pass(pytester.path / "reports")
    result = run(pytester, "environment: x\ngate:\n  fail_on: severe\n")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    data = _check_error_set(pytester.path / "reports", "broken profile")
    assert "gate.fail_on" in data["gate"]["reason"]
    assert data["profile"] == "prof.yaml"


def test_collection_error_replaces_a_stale_pass(pytester: pytest.Pytester) -> None:
    _plant_stale_pass(pytester.path / "reports")
    result = run(pytester, profile_text(), checks=CHECKS + "\nimport no_such_module_here\n")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    _check_error_set(pytester.path / "reports", "collection error in test_checks.py")


def test_a_passing_run_leaves_exactly_one_fresh_set(pytester: pytest.Pytester) -> None:
    report_dir = pytester.path / "reports"
    _plant_stale_pass(report_dir)
    run(pytester, profile_text(), "-k", "cart")
    data = report(pytester)
    assert data["gate"]["state"] == "partial"
    names = sorted(p.name for p in report_dir.glob("*") if p.is_file() and p.suffix != ".sqlite")
    assert names == [
        "junit.xml",
        "readiness-report.html",
        "readiness-report.json",
        "readiness-report.json.sha256",
    ]
    html = (report_dir / "readiness-report.html").read_text()
    assert data["run"]["id"] in html


def test_pytest_short_summary_only_when_asked(pytester: pytest.Pytester) -> None:
    result = run(pytester, profile_text())
    out = result.stdout.str()
    assert "short test summary info" not in out
    assert out.index("blocking (2 checks, 2 causes):") > out.index("readiness gate")
    result = run(pytester, profile_text(), "-rfE")
    result.stdout.fnmatch_lines(["*short test summary info*", "FAILED test_checks.py::*pay*"])
