"""The gate records itself: pytester runs with --record-deployment, failing and passing
production runs opening and resolving incidents, the report's `dora` field and HTML."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from readiness.cli import main as readiness_main

pytestmark = pytest.mark.integration

CHECKS = """
from pathlib import Path
from readiness import Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [("cart", "cart"), ("pay", "pay")])

@control("HTTP-HEALTH")
def test_health(target, evidence):
    broken = Path(__file__).with_name("broken.txt").read_text().split()
    evidence.add(target=target)
    assert_no_findings(
        [Finding("health endpoint failed", expected="HTTP 200", found="HTTP 503",
                 fix="make /healthz answer")] if target in broken else []
    )
"""


def profile(store: str) -> str:
    return textwrap.dedent(
        f"""\
        extends: none
        environment: production
        release: {{version: 2.1.0, services: [cart, pay]}}
        targets:
          services:
            - {{name: cart, url: "http://127.0.0.1:9/"}}
            - {{name: pay, url: "http://127.0.0.1:9/"}}
        dora:
          store: {store}
        """
    )


def gate(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    run_id: str,
    broken: str,
    *args: str,
) -> tuple[pytest.RunResult, dict[str, Any]]:
    (pytester.path / "broken.txt").write_text(broken)
    monkeypatch.setenv("READINESS_RUN_ID", run_id)
    monkeypatch.setenv("READINESS_COMMIT", "9f1c2e7")
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", *args, "test_checks.py"
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    assert report["run"]["id"] == run_id
    return result, report


def receipt(pytester: pytest.Pytester, run_id: str) -> dict[str, Any]:
    """What the run wrote to the store, written beside its reports after them."""
    written = json.loads((pytester.path / "reports" / "dora-record.json").read_text())
    assert written["run_id"] == run_id
    assert written["pending"] is False
    return written


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_checks=CHECKS)
    return pytester


def test_deploy_fail_restore_cycle_is_recorded_and_measured(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = project.path / "dora.sqlite"
    project.makefile(".yaml", prof=profile(str(store)))

    result, report = gate(
        project,
        monkeypatch,
        "run-1",
        "",
        "--record-deployment",
        "--commit-time=2026-01-01T00:00:00Z",
    )
    assert result.ret == 0, result.stdout.str()
    # The report, written first, says what is to be recorded and shows the history so far.
    assert report["dora"]["pending"] is True
    assert report["dora"]["recorded"] is False and report["dora"]["written"] is None
    assert report["dora"]["metrics"]["deployment_frequency"]["deployments"] == 0
    assert any("dora-record.json" in note for note in report["dora"]["notes"])
    dora = receipt(project, "run-1")
    assert dora["recorded"] is True, dora
    assert dora["written"]["deployments"] == ["run-1:cart", "run-1:pay"]
    assert dora["metrics"]["deployment_frequency"]["deployments"] == 2
    assert dora["metrics"]["lead_time"]["sample"] == 2
    assert set(dora["per_service"]) == {"cart", "pay"}
    assert len(dora["weekly"]) == 8
    result.stdout.fnmatch_lines(["*DORA: run recorded in*deployments run-1:cart, run-1:pay*"])
    html = (project.path / "reports" / "readiness-report.html").read_text()
    assert "DORA metrics" in html and "Weekly trends" in html and "<svg" in html
    assert "Recorded after this report was written" in html

    # The same run recorded again changes nothing.
    _result, again = gate(project, monkeypatch, "run-1", "", "--record-deployment")
    assert again["dora"]["metrics"]["deployment_frequency"]["deployments"] == 2  # so far
    again = {"dora": receipt(project, "run-1")}
    assert again["dora"]["written"]["deployments"] == []
    assert again["dora"]["written"]["deployments_already_recorded"] == [
        "run-1:cart",
        "run-1:pay",
    ]

    # A failing production run deploys nothing and opens an incident for `pay` only.
    result, report = gate(project, monkeypatch, "run-2", "pay", "--record-deployment")
    assert result.ret == 1
    written = receipt(project, "run-2")["written"]
    assert written["deployments"] == []
    assert written["incidents_opened"] == ["gate:production:pay:run-2"]
    assert receipt(project, "run-2")["notes"] == [
        "--record-deployment: the gate failed, nothing was deployed"
    ]

    # The next passing run resolves it.
    result, _report = gate(project, monkeypatch, "run-3", "")
    assert result.ret == 0
    report = {"dora": receipt(project, "run-3")}
    assert report["dora"]["written"]["incidents_resolved"] == ["gate:production:pay:run-2"]
    pay = report["dora"]["per_service"]["pay"]
    assert pay["change_failure_rate"]["failed_deployments"] == 1
    assert pay["time_to_restore"]["sample"] == 1
    assert report["dora"]["per_service"]["cart"]["change_failure_rate"]["rate"] == 0

    capsys.readouterr()
    assert readiness_main(["dora", "--store", str(store), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["metrics"]["change_failure_rate"]["rate"] == 0.5
    assert cli["metrics"]["time_to_restore"]["still_open"] == 0


def test_rollback_deployment_is_marked(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makefile(".yaml", prof=profile(str(project.path / "dora.sqlite")))
    result, _report = gate(project, monkeypatch, "rb-1", "", "--record-deployment", "--rollback")
    assert result.ret == 0
    rework = receipt(project, "rb-1")["metrics"]["rework_rate"]
    assert (rework["rollbacks"], rework["rate"]) == (2, 1.0)


def test_store_down_never_fails_the_gate_and_the_report_says_why(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DORA_PG_PASSWORD", "s3cret-pw")
    project.makefile(
        ".yaml", prof=profile("postgresql://dora:${DORA_PG_PASSWORD}@127.0.0.1:1/dora")
    )
    result, report = gate(project, monkeypatch, "down-1", "", "--record-deployment")
    assert result.ret == 0, result.stdout.str()
    assert report["gate"]["passed"] is True
    assert report["dora"]["pending"] is True  # the reports did not wait for the store
    dora = receipt(project, "down-1")
    assert dora["recorded"] is False
    assert "connecting failed" in dora["record_error"]
    assert dora["store"] == "postgresql://dora:***@127.0.0.1:1/dora"
    result.stdout.fnmatch_lines(["*DORA: run NOT recorded in postgresql://dora:***@*"])
    everything = (
        result.stdout.str()
        + json.dumps(report)
        + json.dumps(dora)
        + (project.path / "reports" / "readiness-report.html").read_text()
    )
    assert "s3cret-pw" not in everything


def test_xdist_records_once_on_the_controller(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = project.path / "dora.sqlite"
    project.makefile(".yaml", prof=profile(str(store)))
    result, _report = gate(project, monkeypatch, "x-1", "", "--record-deployment", "-n", "2")
    assert result.ret == 0, result.stdout.str()
    report = {"dora": receipt(project, "x-1")}
    assert report["dora"]["written"]["deployments"] == ["x-1:cart", "x-1:pay"]
    from readiness.dora.store import open_store

    s = open_store(str(store))
    try:
        assert s.counts() == {"gate_runs": 1, "deployments": 2, "incidents": 0}
    finally:
        s.close()


def test_no_profile_no_recording(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--record-deployment")
    assert not (Path(project.path) / "reports" / "dora.sqlite").exists()
    assert "DORA" not in result.stdout.str()


def test_open_incident_check_fails_feature_release_and_passes_others(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = pytester.path / "dora.sqlite"
    s = ["--store", str(store)]
    assert (
        readiness_main(
            ["dora", "incident", "open", "INC-7", *s, "--service", "pay", "--severity", "SEV1"]
        )
        == 0
    )
    text = profile(str(store)) + "  gate_open_incidents: true\n"
    pytester.makefile(".yaml", prof=text)
    monkeypatch.setenv("READINESS_RUN_ID", "oi-1")
    checks = Path(__file__).resolve().parents[2] / "checks" / "test_dora.py"
    pytester.makepyfile(test_dora_checks=checks.read_text())
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_dora_checks.py"
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    outcomes = {
        c["target"]: c["outcome"] for c in report["checks"] if c["control"] == "DORA-OPEN-INCIDENT"
    }
    assert outcomes == {"cart": "passed", "pay": "failed"}, result.stdout.str()
    assert result.ret == 1
    (pay,) = [c for c in report["checks"] if c["target"] == "pay"]
    assert "incident INC-7 (SEV1) on pay in production is open since" in pay["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rollback", "--hotfix"], "--rollback and --hotfix exclude each other"),
        (["--commit-time", "last tuesday"], "--commit-time 'last tuesday' is not a date"),
    ],
)
def test_bad_options_are_usage_errors(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    project.makefile(".yaml", prof=profile(str(project.path / "dora.sqlite")))
    result = project.runpytest_subprocess("--profile=prof.yaml", "-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


WITNESS = """
import json
import pytest

@pytest.hookimpl(optionalhook=True, tryfirst=True, specname="readiness_reports_written")
def pytest_witness(session, report_dir, report):
    from readiness.dora.store import open_store

    store = open_store("dora.sqlite")
    try:
        counts = store.counts()
    finally:
        store.close()
    names = sorted(p.name for p in report_dir.iterdir() if not p.name.startswith("."))
    (report_dir.parent / "witness.json").write_text(json.dumps({"files": names, "counts": counts}))
"""


def test_the_run_is_recorded_after_its_reports_are_written(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makefile(".yaml", prof=profile("dora.sqlite"))
    project.makeconftest(WITNESS)
    (project.path / "reports").mkdir()
    (project.path / "reports" / "dora-record.json").write_text('{"run_id": "stale"}')
    result, report = gate(project, monkeypatch, "order-1", "", "--record-deployment")
    assert result.ret == 0, result.stdout.str()
    witness = json.loads((project.path / "witness.json").read_text())
    # When the report set was complete, the store did not hold this run yet (and the
    # previous run's receipt was gone).
    assert {"readiness-report.json", "readiness-report.json.sha256", "junit.xml"} <= set(
        witness["files"]
    )
    assert "dora-record.json" not in witness["files"]
    assert witness["counts"] == {"gate_runs": 0, "deployments": 0, "incidents": 0}
    assert report["dora"]["pending"] is True
    written = receipt(project, "order-1")
    assert written["recorded"] is True
    assert written["written"]["deployments"] == ["order-1:cart", "order-1:pay"]


def test_a_locked_store_costs_the_run_neither_its_reports_nor_its_verdict(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from readiness.dora.store import open_store

    store = project.path / "dora.sqlite"
    open_store(str(store)).close()  # migrated
    project.makefile(".yaml", prof=profile(str(store)) + "  lock_timeout: 1\n")
    holder = sqlite3.connect(str(store), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for the whole run
    try:
        result, report = gate(project, monkeypatch, "locked-1", "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.ret == 0, result.stdout.str()
    assert report["gate"]["passed"] is True
    assert report["dora"]["pending"] is True
    assert any("history not read" in note for note in report["dora"]["notes"])
    written = receipt(project, "locked-1")
    assert written["recorded"] is False
    assert "locked" in written["record_error"], written
    result.stdout.fnmatch_lines(["*DORA: run NOT recorded in*locked*"])
