"""What a gate run records: planning from the JSON report, the profile section, dates."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from readiness.dora.model import DeploymentKind, DoraError, check_id, parse_time
from readiness.dora.recorder import (
    RecordOptions,
    commit_times,
    failing_services,
    plan,
    profile_services,
)
from readiness.dora.store import redact_location
from readiness.profile.dora import DoraSettings
from readiness.profile.model import Profile

FINISHED = dt.datetime(2026, 11, 24, 10, 5, tzinfo=dt.UTC)


def check(target: str, family: str = "http", outcome: str = "failed") -> dict[str, Any]:
    return {
        "nodeid": f"checks/test_{family}.py::test_x[{target}]",
        "control": "X",
        "family": family,
        "target": target,
        "outcome": outcome,
    }


def report(
    passed: bool, checks: list[dict[str, Any]] | None = None, env: str = "production"
) -> dict[str, Any]:
    checks = checks or []
    return {
        "profile": "production",
        "environment": env,
        "started_at": "2026-11-24T10:00:00Z",
        "finished_at": "2026-11-24T10:05:00Z",
        "run": {"id": "run-7", "commit": "abc"},
        "release": {"kind": "feature", "version": "3.2.1", "services": ["cart", "pay"]},
        "gate": {
            "passed": passed,
            "blocking": [c["nodeid"] for c in checks if c["outcome"] in ("failed", "error")],
        },
        "summary": {"passed": 3, "failed": sum(c["outcome"] == "failed" for c in checks)},
        "checks": checks,
    }


SERVICES = ["cart", "pay"]


def test_passing_run_with_record_deployment_records_each_service() -> None:
    options = RecordOptions(
        record_deployment=True,
        kind=DeploymentKind.HOTFIX,
        commit_time=FINISHED - dt.timedelta(hours=3),
    )
    checked = [check("cart", outcome="passed"), check("pay", outcome="warned")]
    batch = plan(report(True, checked), DoraSettings(), SERVICES, options)
    assert batch.run is not None
    assert (batch.run.id, batch.run.passed, batch.run.services) == ("run-7", True, ("cart", "pay"))
    assert batch.run.summary == (("failed", 0), ("passed", 3))
    assert [d.id for d in batch.deployments] == ["run-7:cart", "run-7:pay"]
    d = batch.deployments[0]
    assert (d.version, d.commit, d.deployed_at, d.kind) == (
        "3.2.1",
        "abc",
        FINISHED,
        DeploymentKind.HOTFIX,
    )
    assert d.commit_time == FINISHED - dt.timedelta(hours=3)
    assert [(c.service, c.open) for c in batch.incidents] == [("cart", False), ("pay", False)]


def test_a_pass_resolves_only_the_services_it_checked() -> None:
    checks = [
        check("cart", outcome="passed"),
        check("pay", outcome="skipped"),
        check("pay-image", family="supply_chain", outcome="passed"),
    ]
    batch = plan(report(True, checks), DoraSettings(), SERVICES, RecordOptions())
    assert [(c.service, c.open) for c in batch.incidents] == [("cart", False)]


@pytest.mark.parametrize(
    ("gate", "selection"),
    [
        ({"passed": False, "state": "partial", "reason": "partial run: 1 of 9 checks"}, "partial"),
        ({"passed": False, "state": "error", "reason": "no check selected"}, "partial"),
        ({"passed": False, "state": "error", "reason": "no check selected"}, "full"),
    ],
)
def test_partial_or_errored_runs_record_nothing(gate: dict[str, Any], selection: str) -> None:
    data = report(False, [check("pay")])
    data["gate"] = {**gate, "blocking": data["gate"]["blocking"]}
    data["selection"] = {"mode": selection}
    batch = plan(data, DoraSettings(), SERVICES, RecordOptions(record_deployment=True))
    assert (batch.run, batch.deployments, batch.incidents) == (None, (), ())


@pytest.mark.parametrize(
    ("version", "commit", "message"),
    [
        ("", "abc", "no version: set release.version in the profile or pass --deployment-version"),
        ("1.0", "", "no commit: set READINESS_COMMIT or GITHUB_SHA or CI_COMMIT_SHA"),
    ],
)
def test_a_deployment_needs_a_version_and_a_commit(version: str, commit: str, message: str) -> None:
    data = report(True)
    data["release"]["version"] = version
    data["run"]["commit"] = commit
    with pytest.raises(DoraError, match=message):
        plan(data, DoraSettings(), SERVICES, RecordOptions(record_deployment=True))


def test_passing_run_without_the_flag_deploys_nothing() -> None:
    batch = plan(report(True), DoraSettings(), SERVICES, RecordOptions())
    assert batch.deployments == ()


def test_failing_live_check_opens_an_incident_for_its_service_only() -> None:
    failing = report(False, [check("pay"), check("ledger-db", family="supply_chain")])
    batch = plan(failing, DoraSettings(), SERVICES, RecordOptions(record_deployment=True))
    assert batch.deployments == ()
    assert [(c.service, c.open, c.severity) for c in batch.incidents] == [("pay", True, "SEV2")]


def test_failure_that_names_no_service_counts_against_all() -> None:
    assert (
        failing_services(report(False, [check("shop/Deployment/api")]), SERVICES, ["http"])
        == SERVICES
    )
    assert failing_services(report(False, [check("shop/Deployment/cart")]), SERVICES, ["http"]) == [
        "cart"
    ]


def test_static_failures_open_no_incident_and_other_environments_none() -> None:
    static = report(False, [check("img", family="supply_chain")])
    assert plan(static, DoraSettings(), SERVICES, RecordOptions()).incidents == ()
    staging = report(False, [check("pay")], env="staging")
    assert plan(staging, DoraSettings(), SERVICES, RecordOptions()).incidents == ()


def test_policy_switches() -> None:
    settings = DoraSettings.model_validate(
        {"record": False, "incidents": {"open_on_failure": False, "environments": ["staging"]}}
    )
    batch = plan(report(False, [check("pay")], env="staging"), settings, SERVICES, RecordOptions())
    assert batch.run is None and batch.incidents == ()
    linkless = DoraSettings.model_validate({"incidents": {"link": "none"}})
    (change,) = plan(report(False, [check("pay")]), linkless, SERVICES, RecordOptions()).incidents
    assert change.link_latest_deployment is False


def test_profile_section_defaults_and_typos() -> None:
    profile = Profile.model_validate({"environment": "production"})
    assert profile.dora.store == "" and profile.dora.days == 30
    assert profile.dora.incidents.environments == ["production"]
    with pytest.raises(ValidationError, match="stor"):
        Profile.model_validate({"environment": "x", "dora": {"stor": "a.sqlite"}})
    with pytest.raises(ValidationError, match="link"):
        Profile.model_validate({"environment": "x", "dora": {"incidents": {"link": "any"}}})


def test_profile_services_order_of_precedence() -> None:
    base = {"environment": "p", "targets": {"services": [{"name": "web", "url": "http://x"}]}}
    assert profile_services(Profile.model_validate(base)) == ["web"]
    with_release = {**base, "release": {"services": ["api"]}}
    assert profile_services(Profile.model_validate(with_release)) == ["api"]
    with_dora = {**with_release, "dora": {"services": ["cart"]}}
    assert profile_services(Profile.model_validate(with_dora)) == ["cart"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:00:00Z", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)),
        ("2026-11-20T11:00:00+01:00", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)),
        ("2026-11-20", dt.datetime(2026, 11, 20, tzinfo=dt.UTC)),
        ("2026-11-20T10:00:00", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)),
        ("1795000000", dt.datetime.fromtimestamp(1795000000, dt.UTC)),
    ],
)
def test_parse_time(text: str, expected: dt.datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "2026-11-20T25:00:00Z", ""])
def test_bad_dates_are_clear_errors(text: str) -> None:
    with pytest.raises(DoraError, match="is not a date: use ISO 8601"):
        parse_time(text, "--at")


@pytest.mark.parametrize("ident", ["", "has space", "x" * 201, "-leading"])
def test_bad_ids(ident: str) -> None:
    with pytest.raises(DoraError, match="is not valid"):
        check_id("incident", ident)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://u:pw@db:5432/dora", "postgresql://u:***@db:5432/dora"),
        (
            "postgresql://u@db/dora?password=pw&sslmode=require",
            "postgresql://u@db/dora?password=***&sslmode=require",
        ),
        ("/var/lib/dora.sqlite", "/var/lib/dora.sqlite"),
    ],
)
def test_store_location_is_shown_without_credentials(location: str, shown: str) -> None:
    assert redact_location(location) == shown


def git(repo: Path, *args: str, when: str = "") -> str:
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), **env},
    )
    return out.stdout.strip()


def test_commit_times_from_git_and_the_earliest_commit_of_the_range(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "base", when="2026-11-01T00:00:00Z")
    base = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "a", when="2026-11-10T00:00:00Z")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "b", when="2026-11-12T06:00:00Z")
    head = git(tmp_path, "rev-parse", "HEAD")
    commit_time, first = commit_times(head, None, f"{base}..{head}", {}, tmp_path)
    assert commit_time == dt.datetime(2026, 11, 12, 6, tzinfo=dt.UTC)
    assert first == dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    given, _ = commit_times(
        head, None, None, {"CI_COMMIT_TIMESTAMP": "2026-11-13T00:00:00Z"}, tmp_path
    )
    assert given == dt.datetime(2026, 11, 13, tzinfo=dt.UTC)
    with pytest.raises(DoraError, match=r"BASE\.\.HEAD"):
        commit_times(head, None, "nonsense", {}, tmp_path)
    with pytest.raises(DoraError, match="commit time 'soon' is not a date"):
        commit_times(head, "soon", None, {}, tmp_path)
