"""`readiness dora` on a SQLite store: metrics output, manual incidents and deployments,
bad input with clear messages and nothing stored, the charts of the HTML section."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from readiness.cli import main
from readiness.dora.chart import html_section, line_chart
from readiness.dora.metrics import DEFINITIONS
from readiness.dora.store import open_store

NOW = "2026-11-24T00:00:00Z"


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "dora.sqlite")


def dora(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["dora", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_record_and_measure(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    s = ["--store", store]
    code, out, _ = dora(
        capsys,
        "deployment",
        *s,
        "--service",
        "cart",
        "--service",
        "pay",
        "--version",
        "1.0",
        "--at",
        "2026-11-20T10:00:00Z",
        "--commit-time",
        "2026-11-20T09:00:00Z",
    )
    assert code == 0
    assert "deployment cart:production:1.0:1795168800 (planned) recorded" in out
    hotfix = [
        *("deployment", *s, "--service", "cart", "--id", "hf-1"),
        *("--at", "2026-11-21T10:00:00Z", "--hotfix"),
    ]
    code, out, _ = dora(capsys, *hotfix)
    assert (code, out.strip()) == (0, "deployment hf-1 (hotfix) recorded")
    code, out, _ = dora(capsys, *hotfix)
    assert "already recorded (unchanged)" in out
    code, out, _ = dora(
        capsys,
        "incident",
        "open",
        "INC-001",
        *s,
        "--service",
        "cart",
        "--severity",
        "SEV2",
        "--at",
        "2026-11-21T12:00:00Z",
    )
    assert code == 0 and "linked to hf-1" in out
    code, out, _ = dora(
        capsys, "incident", "resolve", "INC-001", *s, "--at", "2026-11-21T12:45:00Z"
    )
    assert code == 0 and "resolved at 2026-11-21T12:45:00Z" in out

    code, out, _ = dora(capsys, "incident", "list", *s)
    assert (code, out.strip()) == (0, "no open incidents")
    code, out, _ = dora(capsys, "incident", "list", *s, "--days", "36500", "--json")
    (listed,) = json.loads(out)
    assert listed["id"] == "INC-001" and listed["deployment"] == "hf-1"
    assert listed["resolved_at"] == "2026-11-21T12:45:00Z"

    code, out, _ = dora(capsys, *s, "--now", NOW, "--json", "--service", "cart")
    assert code == 0
    data = json.loads(out)
    m = data["metrics"]
    assert m["deployment_frequency"]["deployments"] == 2
    assert m["lead_time"] == {
        "median_seconds": 3600.0,
        "p90_seconds": 3600.0,
        "sample": 1,
        "level": "elite",
    }
    assert m["change_failure_rate"]["rate"] == 0.5
    assert m["time_to_restore"]["median_seconds"] == 2700
    assert m["rework_rate"]["hotfixes"] == 1

    code, out, _ = dora(capsys, *s, "--now", NOW, "--markdown")
    assert (
        "| Change failure rate | 33.3 % | 1 of 3 deployments caused an incident | 3 | low |" in out
    )
    code, out, _ = dora(capsys, *s, "--now", NOW, "--days", "7")
    assert "Deployment frequency   0.43 / day" in out
    assert "pay: 0.14 / day" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incident", "resolve", "INC-404"], "unknown incident id 'INC-404'"),
        (
            ["incident", "open", "INC-1", "--service", "cart", "--at", "noon"],
            "--at 'noon' is not a date",
        ),
        (["incident", "open", "bad id", "--service", "cart"], "incident id 'bad id' is not valid"),
        (
            ["incident", "open", "INC-2", "--service", "cart", "--deployment", "nope"],
            "unknown deployment id 'nope'",
        ),
        (
            ["incident", "open", "INC-3", "--service", "cart", "--severity", "P0"],
            "--severity 'P0' is not on the severity scale (SEV1, SEV2, SEV3, SEV4)",
        ),
        (["deployment", "--service", "a", "--service", "b", "--id", "x"], "--id names one"),
        (["deployment", "--service", "a", "--commit-time", "2026-02-30"], "is not a date"),
        (["--now", "later"], "--now 'later' is not a date"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(
    store: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    head, rest = (argv[:2], argv[2:]) if argv[0] == "incident" else (argv[:1], argv[1:])
    if argv[0].startswith("--"):
        head, rest = [], argv
    code, _out, err = dora(capsys, *head, "--store", store, *rest)
    assert code == 2
    assert message in err
    s = open_store(store)
    try:
        assert s.counts() == {"gate_runs": 0, "deployments": 0, "incidents": 0}
    finally:
        s.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--days", "999999999999"],
            "--days: 999999999999 is out of range: give 0 < days <= 36500",
        ),
        (["--days", "nan"], "--days: nan is out of range"),
        (["--days", "0"], "--days: 0 is out of range"),
        (["--service", ""], "--service: must not be empty"),
        (["--service", "   "], "--service: must not be empty"),
        (["deployment", "--service", "", "--id", "x"], "--service: must not be empty"),
        (["incident", "open", "INC-1", "--service", ""], "--service: must not be empty"),
        (["incident", "list", "--days", "1e300"], "--days: 1e300 is out of range"),
    ],
)
def test_out_of_range_days_and_empty_service_are_usage_errors(
    store: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        dora(capsys, *argv, "--store", store)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage: readiness dora" in err and f"error: argument {message}" in err
    assert "Traceback" not in err
    s = open_store(store)
    try:
        assert s.counts() == {"gate_runs": 0, "deployments": 0, "incidents": 0}
    finally:
        s.close()


def test_resolve_before_open_is_refused(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        dora(
            capsys,
            "incident",
            "open",
            "INC-1",
            "--store",
            store,
            "--service",
            "cart",
            "--at",
            "2026-11-21T12:00:00Z",
        )[0]
        == 0
    )
    code, _out, err = dora(
        capsys, "incident", "resolve", "INC-1", "--store", store, "--at", "2026-11-21T11:00:00Z"
    )
    assert code == 2 and "is before it opened" in err


def test_unreachable_store_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = dora(capsys, "--store", "postgresql://dora:pw123@127.0.0.1:1/dora")
    assert code == 3
    assert "DORA store postgresql://dora:***@127.0.0.1:1/dora: connecting failed" in err
    assert "pw123" not in err


def test_store_from_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "env.sqlite"
    monkeypatch.setenv("READINESS_DORA_STORE", str(path))
    code, out, _ = dora(capsys, "--json")
    assert code == 0 and json.loads(out)["store"] == str(path)
    assert not path.exists()  # reading never creates a store
    assert dora(capsys, "incident", "open", "INC-1", "--service", "cart")[0] == 0
    assert path.exists()


def test_help_states_the_definitions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["dora", "--help"])
    out = capsys.readouterr().out
    assert "change failure rate" in out and "rework rate" in out and "p90" in out
    assert "time to restore" in DEFINITIONS


def test_charts_are_well_formed_svg() -> None:
    svg = line_chart("Lead <time>", ["w1", "w2", "w3"], [3600.0, None, 7200.0], str)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Lead &lt;time&gt;" in svg
    assert svg.count("<circle") == 2 and svg.count("<polyline") == 2  # the gap breaks the line
    empty = line_chart("nothing", [], [], str)
    ET.fromstring(empty)


def test_html_section_says_when_not_recorded() -> None:
    html = html_section({"recorded": False, "record_error": "store <down>", "metrics": None})
    assert "Not recorded:" in html and "store &lt;down&gt;" in html


def test_incident_severity_follows_the_profile_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(
        "extends: none\nenvironment: production\n"
        "dora:\n  store: dora.sqlite\n  incidents: {severity: P2}\n  severities:\n"
        "    - {name: P1, acknowledge_minutes: 5, resolve_hours: 1}\n"
        "    - {name: P2, acknowledge_minutes: 30, resolve_hours: 8}\n"
    )
    code, _, err = dora(capsys, "--profile", "p.yaml", "incident", "open", "I-1", "--service", "a",
                        "--severity", "SEV1")  # fmt: skip
    assert code == 2 and "'SEV1' is not on the severity scale (P1, P2)" in err
    code, out, _ = dora(capsys, "--profile", "p.yaml", "incident", "open", "I-1", "--service", "a",
                        "--severity", "p1")  # fmt: skip
    assert code == 0, out
    s = open_store(str(tmp_path / "dora.sqlite"))
    try:
        incident = s.incident("I-1")
        assert incident is not None and incident.severity == "P1"  # the scale's spelling
    finally:
        s.close()
