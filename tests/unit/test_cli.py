"""The `readiness` command: the control catalogue."""

from __future__ import annotations

import json

import pytest

from readiness.check_index import check_functions
from readiness.cli import main
from readiness.controls import catalogue


def test_controls_table_lists_every_control(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "SEVERITY", "FAMILY", "TITLE", "CHECKS"]
    for control_id in catalogue():
        assert control_id in out
    hsts = next(line for line in out.splitlines() if line.startswith("HTTP-HSTS "))
    assert hsts.endswith("test_http.py::test_hsts")


def test_every_control_names_the_checks_that_verify_it() -> None:
    checks = check_functions()
    assert set(checks) <= set(catalogue()) and len(checks) > 0.9 * len(catalogue())
    assert checks["PROM-SERVICE-TARGET"] == [
        "test_alerting.py::test_service_target",
        "test_alerting.py::test_exporter_target",
    ]


def test_controls_json_by_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "--family", "http", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data and {c["family"] for c in data} == {"http"}
    assert set(data[0]) == {
        "id",
        "title",
        "family",
        "severity",
        "rationale",
        "remediation",
        "references",
        "checks",
    }
    health = next(c for c in data if c["id"] == "HTTP-HEALTH")
    assert health["checks"] == ["test_http.py::test_health"]


def test_controls_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "--format", "markdown"]) == 0
    assert "| HTTP-HEALTH | critical | http |" in capsys.readouterr().out


def test_unknown_family_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "--family", "nope"]) == 2
    assert "no controls in family 'nope'" in capsys.readouterr().err


def test_every_control_is_complete() -> None:
    for control in catalogue().values():
        assert control.id == control.id.upper() and "-" in control.id, control.id
        assert control.title and control.rationale and control.remediation, control.id
