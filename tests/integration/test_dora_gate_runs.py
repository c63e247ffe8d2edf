"""Only full runs change DORA history: partial, empty and refused runs leave the store
alone, on SQLite and on a real PostgreSQL (pytester runs of the gate)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from readiness.dora.store import open_store

pytestmark = pytest.mark.integration

CHECKS = """
from pathlib import Path
import pytest
from readiness import Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of

SERVICES = ["cart", "pay", "storefront"]

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "service", [(s, s) for s in SERVICES])

def state(service):
    words = Path(__file__).with_name("state.txt").read_text().split()
    return "skip" if f"skip:{service}" in words else "broken" if service in words else "ok"

@control("HTTP-HEALTH")
def test_health(service):
    if state(service) == "skip":
        pytest.skip(f"no health endpoint configured for {service}")
    assert_no_findings(
        [Finding("health endpoint failed", expected="HTTP 200", found="HTTP 503",
                 fix="make /healthz answer")] if state(service) == "broken" else []
    )
"""

COMMIT_VARS = ("READINESS_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT")


def profile(store: str, version: str = "2.1.0") -> str:
    release = f"release: {{version: '{version}', services: [cart, pay, storefront]}}"
    return textwrap.dedent(
        f"""\
        extends: none
        environment: production
        {release}
        dora:
          store: {store}
        targets:
          services:
            - {{name: cart, url: "http://127.0.0.1:9/"}}
            - {{name: pay, url: "http://127.0.0.1:9/"}}
            - {{name: storefront, url: "http://127.0.0.1:9/"}}
        """
    )


@pytest.fixture
def gate(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dora_location: str) -> Any:
    pytester.makepyfile(test_checks=CHECKS)
    pytester.makefile(".yaml", prof=profile(dora_location))
    monkeypatch.setenv("READINESS_COMMIT", "0123abc")
    runs = iter(range(1, 100))

    def run(state: str, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
        (pytester.path / "state.txt").write_text(state)
        monkeypatch.setenv("READINESS_RUN_ID", f"run-{next(runs)}")
        result = pytester.runpytest(
            "--profile=prof.yaml", "-p", "no:cacheprovider", *args, "test_checks.py"
        )
        path = pytester.path / "reports" / "readiness-report.json"
        report = json.loads(path.read_text()) if path.exists() else {}
        receipt = path.with_name("dora-record.json")
        if receipt.exists():  # recorded after the reports: they said it was pending
            assert report["dora"]["pending"] is True
            report["dora"] = json.loads(receipt.read_text())
        return result, report

    return run


def open_services(location: str) -> list[str]:
    store = open_store(location)
    try:
        return sorted(i.service for i in store.open_incidents())
    finally:
        store.close()


def counts(location: str) -> dict[str, int]:
    store = open_store(location)
    try:
        return store.counts()
    finally:
        store.close()


def test_partial_and_empty_runs_leave_history_alone(gate: Any, dora_location: str) -> None:
    result, report = gate("cart pay")
    assert result.ret == 1
    assert report["dora"]["written"]["incidents_opened"] == [
        "gate:production:cart:run-1",
        "gate:production:pay:run-1",
    ]
    assert open_services(dora_location) == ["cart", "pay"]
    before = counts(dora_location)

    # -k with a control id that selects nothing: an error, not a passing gate run.
    result, report = gate("", "-k", "HTTP-HSTS")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert report["gate"]["state"] == "error"
    assert report["dora"]["recorded"] is False
    assert any("not a gate run" in note for note in report["dora"]["notes"])
    result.stdout.fnmatch_lines(
        ["*DORA: run NOT recorded in *: not a gate run: the gate could not judge (no check*"]
    )
    assert "recording is off" not in result.stdout.str()

    # A partial passing run (only storefront) resolves nothing, not even storefront's.
    result, report = gate("", "-k", "storefront")
    assert result.ret == 0
    assert report["gate"]["state"] == "partial"
    assert report["dora"]["written"] is None
    assert open_services(dora_location) == ["cart", "pay"]
    assert counts(dora_location) == before

    # --record-deployment refuses a partial run before any check runs.
    result, _ = gate("", "-k", "http", "--record-deployment")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--record-deployment refused: a partial run (-k 'http')*"])
    assert counts(dora_location) == before


def test_a_full_pass_resolves_only_the_services_it_checked(gate: Any, dora_location: str) -> None:
    gate("cart pay")
    assert open_services(dora_location) == ["cart", "pay"]
    # Full and passing, but pay's check was skipped: pay's incident stays open.
    result, report = gate("skip:pay")
    assert result.ret == 0 and report["gate"]["state"] == "passed"
    assert report["dora"]["written"]["incidents_resolved"] == ["gate:production:cart:run-1"]
    assert open_services(dora_location) == ["pay"]
    result, report = gate("", "--record-deployment")
    assert result.ret == 0
    assert report["dora"]["written"]["incidents_resolved"] == ["gate:production:pay:run-1"]
    assert report["dora"]["written"]["deployments"] == [
        "run-3:cart",
        "run-3:pay",
        "run-3:storefront",
    ]
    assert open_services(dora_location) == []


def test_record_deployment_names_the_missing_version_and_commit(
    gate: Any,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    dora_location: str,
) -> None:
    pytester.makefile(".yaml", prof=profile(dora_location, version=""))
    for name in COMMIT_VARS:
        monkeypatch.delenv(name, raising=False)
    result, _ = gate("", "--record-deployment")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--record-deployment refused: no version: set release.version in the profile "
            "or pass --deployment-version; no commit: set READINESS_COMMIT or GITHUB_SHA*"
        ]
    )
    monkeypatch.setenv("READINESS_COMMIT", "0123abc")
    result, report = gate("", "--record-deployment", "--deployment-version", "2.2.0")
    assert result.ret == 0
    assert report["dora"]["written"]["deployments"] == [
        "run-2:cart",
        "run-2:pay",
        "run-2:storefront",
    ]
