"""What changed since the previous run; the archived reports form a verifiable hash chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from readiness.cli import main
from readiness.report.history import human_duration
from tests.plugin.test_plugin import report

PROFILE = "environment: test\ngate: {fail_on: high}\nfamilies: {http: {enabled: true}}\n"

CHECKS = """
import json, pathlib
from readiness import Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of

STATE = json.loads(pathlib.Path("state.json").read_text())

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", sorted(STATE.items()))

@control("HTTP-HEALTH")
def test_health(target):
    assert_no_findings([Finding("health endpoint failed", expected="HTTP 200",
                                found="HTTP 503")] if target == "bad" else [])
"""


def gate(pytester: pytest.Pytester, state: dict[str, str], *args: str) -> pytest.RunResult:
    pytester.path.joinpath("state.json").write_text(json.dumps(state))
    return pytester.runpytest(
        "--profile=prof.yaml", "-p", "no:cacheprovider", *args, "test_checks.py"
    )


def test_changes_since_the_previous_run_and_the_hash_chain(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    reports = pytester.path / "reports"

    gate(pytester, {"cart": "bad", "pay": "bad", "ledger": "ok"})
    first = report(pytester)
    assert first["previous"] is None and first["changes"] is None
    first_sha = hashlib.sha256((reports / "readiness-report.json").read_bytes()).hexdigest()
    assert {c["target"]: c.get("failing_since") for c in first["checks"]} == {
        "cart": first["started_at"],
        "pay": first["started_at"],
        "ledger": None,
    }

    result = gate(pytester, {"cart": "bad", "pay": "ok", "ledger": "bad"})
    second = report(pytester)
    assert second["previous"]["sha256"] == first_sha
    changes = second["changes"]
    assert changes["previous"]["run_id"] == first["run"]["id"]
    assert [(c["target"], c["was"], c["now"]) for c in changes["new"]] == [
        ("ledger", "passed", "failed")
    ]
    assert [c["target"] for c in changes["fixed"]] == ["pay"]
    (still,) = changes["still"]
    assert still["target"] == "cart" and still["since"] == first["started_at"]
    result.stdout.fnmatch_lines(
        [
            "*since run*1 new failure(s), 1 fixed, 1 still failing*",
            "*new:   HTTP-HEALTH [[]ledger[]] failed*",
            "*still: HTTP-HEALTH [[]cart[]] failing for *",
        ]
    )
    html = (reports / "readiness-report.html").read_text()
    assert "What changed since the previous run" in html and first_sha in html

    # The chain: intact, then broken by an edit to the first archived report.
    assert main(["history", "verify", "--report-dir", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "chain intact" in out and out.count("ok      ") == 2
    archived = sorted((reports / "history").glob("*.json"))
    assert len(archived) == 2
    assert hashlib.sha256(archived[0].read_bytes()).hexdigest() == first_sha
    archived[0].write_text(archived[0].read_text().replace('"bad"', '"b4d"', 1) + " ")
    assert main(["history", "verify", "--report-dir", str(reports)]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_compare_to_an_explicit_report(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    gate(pytester, {"cart": "ok"})
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes((pytester.path / "reports" / "readiness-report.json").read_bytes())
    (pytester.path / "reports" / "history").rename(tmp_path / "moved")  # no archive to use
    gate(pytester, {"cart": "bad"}, f"--compare-to={baseline}")
    changes = report(pytester)["changes"]
    assert changes["previous"]["source"] == str(baseline)
    assert [c["target"] for c in changes["new"]] == ["cart"]
    assert changes["previous"]["sha256"] == hashlib.sha256(baseline.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("seconds", "text"), [(59, "0m"), (3600 * 5 + 120, "5h 2m"), (86400 * 3 + 3600, "3d 1h")]
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_a_long_history_is_read_newest_first_only_as_far_as_needed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    history = pytester.path / "reports" / "history"
    history.mkdir(parents=True)
    # Archives older than any run (names start with the start time): never read again
    # once a newer full run of the profile is archived; unreadable, they would break it.
    for n in range(3):
        (history / f"20000101T00000{n}Z-old.json").write_text("not json")
    gate(pytester, {"cart": "bad"})
    result = gate(pytester, {"cart": "ok"})
    second = report(pytester)
    assert second["changes"] is not None, result.stdout.str()
    assert [c["target"] for c in second["changes"]["fixed"]] == ["cart"]
    assert "no comparison with the previous run" not in result.stdout.str()


def test_runs_archived_within_one_second_keep_their_order(tmp_path: Path) -> None:
    import uuid

    from readiness.report.history import archive, archive_paths

    written = []
    for n in range(20):  # the same start second, run ids in random order
        report_path = tmp_path / "readiness-report.json"
        report_path.write_text(json.dumps({"n": n}))
        report = {"started_at": "2026-12-07T17:50:27Z", "run": {"id": str(uuid.uuid4())}}
        written.append(archive(report_path, report))
    assert archive_paths(tmp_path) == written
