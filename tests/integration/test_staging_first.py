"""DORA-STAGING-FIRST from the store's own records, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from readiness.dora.model import Batch, GateRun
from readiness.dora.store import open_store
from readiness.rules.dora import staging_first_findings

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
CHECKS = Path(__file__).resolve().parents[2] / "checks" / "test_dora.py"
OWN = """
from readiness import assert_no_findings, control

@control("HTTP-HEALTH")
def test_health(evidence):
    evidence.add(target="cart")
    assert_no_findings([])
"""


def run(ident: str, environment: str, version: str, passed: bool, at: dt.datetime) -> GateRun:
    return GateRun(
        id=ident,
        profile="p",
        environment=environment,
        passed=passed,
        started_at=at - dt.timedelta(minutes=5),
        finished_at=at,
        version=version,
    )


def test_store_answers_passed_runs_of_a_version_in_the_window(dora_location: str) -> None:
    store = open_store(dora_location)
    try:
        for r in (
            run("s-ok", "staging", "1.4.0", True, NOW - 3 * DAY),
            run("s-failed", "staging", "1.5.0", False, NOW - DAY),
            run("s-old", "staging", "1.5.0", True, NOW - 30 * DAY),
            run("p-ok", "production", "1.6.0", True, NOW - DAY),
        ):
            store.apply(Batch(run=r), NOW)
        since = NOW - 14 * DAY
        (found,) = store.passed_runs("staging", "1.4.0", since)
        assert (found.id, found.version, found.passed) == ("s-ok", "1.4.0", True)
        assert store.passed_runs("staging", "1.5.0", since) == []  # failed, or too old
        assert store.passed_runs("staging", "1.6.0", since) == []  # passed elsewhere only
        assert [r.id for r in store.passed_runs("staging", "1.5.0", NOW - 31 * DAY)] == ["s-old"]
    finally:
        store.close()
    (finding,) = staging_first_findings("1.5.0", "staging", [], NOW - 14 * DAY)
    assert "1.5.0 has no passed gate run in staging since 2026-11-10" in finding.message
    (unset,) = staging_first_findings("", "staging", [], NOW)
    assert "release.version" in unset.found


def _profile(store: str, environment: str, version: str) -> str:
    return textwrap.dedent(
        f"""\
        extends: none
        environment: {environment}
        release: {{version: "{version}", services: [cart]}}
        dora:
          store: "{store}"
          staging_first: {{enabled: true, within_days: 7}}
        """
    )


def _gate(pytester: pytest.Pytester, store: str, environment: str, version: str) -> dict[str, Any]:
    pytester.makefile(".yaml", prof=_profile(store, environment, version))
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_own.py", "test_dora_checks.py"
    )
    report: dict[str, Any] = json.loads(
        (pytester.path / "reports" / "readiness-report.json").read_text()
    )
    assert report["selection"]["mode"] == "full", result.stdout.str()
    return report


def _outcome(report: dict[str, Any]) -> str:
    (check,) = [c for c in report["checks"] if c["control"] == "DORA-STAGING-FIRST"]
    return f"{check['outcome']}: {check['message'] or ''}"


def test_production_gate_needs_the_version_passed_in_staging(
    pytester: pytest.Pytester, dora_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_own=OWN, test_dora_checks=CHECKS.read_text())
    monkeypatch.setenv("READINESS_RUN_ID", "prod-before")
    before = _gate(pytester, dora_location, "production", "3.0.0")
    assert _outcome(before).startswith("failed: version 3.0.0 has no passed gate run in staging")
    monkeypatch.setenv("READINESS_RUN_ID", "staging-1")
    staged = _gate(pytester, dora_location, "staging", "3.0.0")
    assert staged["gate"]["passed"], staged["gate"]
    assert _outcome(staged).startswith("skipped")  # the control applies to production
    monkeypatch.setenv("READINESS_RUN_ID", "prod-after")
    after = _gate(pytester, dora_location, "production", "3.0.0")
    assert _outcome(after) == "passed: ", _outcome(after)
    monkeypatch.setenv("READINESS_RUN_ID", "prod-other")
    other = _gate(pytester, dora_location, "production", "3.0.1")
    assert _outcome(other).startswith("failed: version 3.0.1")
