"""``--shard I/N`` splits a run by target; ``readiness merge`` joins the shard reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.cli import main as readiness_main

CHECKS = """
from readiness import Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of

TARGETS = [f"svc-{i:02d}" for i in range(30)]

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [(t, t) for t in TARGETS])

@control("HTTP-HEALTH")
def test_health(target):
    assert_no_findings([Finding("down", expected="up", found="down", fix="restart")]
                       if target == "svc-07" else [])

@control("HTTP-HSTS")
def test_hsts(target):
    pass
"""
PROFILE = (
    "extends: none\nenvironment: test\ngate: {fail_on: high}\nfamilies: {http: {enabled: true}}\n"
)


def shard_run(
    pytester: pytest.Pytester, shard: str, *, profile: str = PROFILE, run_id: str = "run-1"
) -> tuple[pytest.RunResult, Path]:
    pytester.makefile(".yaml", prof=profile)
    pytester.makepyfile(test_checks=CHECKS)
    out = pytester.path / f"shard-{shard.replace('/', '-of-')}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("READINESS_RUN_ID", run_id)
        mp.setenv("READINESS_COMMIT", "abc123")
        result = pytester.runpytest_subprocess(
            "--profile=prof.yaml",
            "-p",
            "no:cacheprovider",
            f"--shard={shard}",
            f"--report-dir={out}",
            "test_checks.py",
        )
    return result, out / "readiness-report.json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_shards_split_by_target_and_merge_into_one_full_verdict(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [shard_run(pytester, f"{i}/3")[1] for i in (1, 2, 3)]
    shards = [load(p) for p in paths]
    targets = [{c["target"] for c in r["checks"]} for r in shards]
    # every target in exactly one shard, with all of its checks; no shard is empty
    assert set.union(*targets) == {f"svc-{i:02d}" for i in range(30)}
    assert sum(len(t) for t in targets) == 30 and all(targets)
    for r in shards:
        assert len(r["checks"]) == 2 * len({c["target"] for c in r["checks"]})
        assert r["gate"]["state"] in ("partial", "failed") and not r["gate"]["passed"]
        assert r["shard"]["total"] == 3 and r["shard"]["pipeline_run"] == "READINESS_RUN_ID=run-1"
    # the same split every time
    again = load(shard_run(pytester, "2/3")[1])
    assert {c["target"] for c in again["checks"]} == targets[1]

    out = pytester.path / "merged"
    code = readiness_main(["merge", *map(str, paths), "--out", str(out)])
    merged = load(out / "readiness-report.json")
    assert code == 1  # svc-07 fails HTTP-HEALTH, in whichever shard it landed
    assert len(merged["checks"]) == 60
    assert merged["selection"]["mode"] == "full" and merged["gate"]["state"] == "failed"
    assert merged["summary"]["failed"] == 1 and merged["summary"]["passed"] == 59
    assert merged["gate"]["blocking"] == ["test_checks.py::test_health[svc-07]"]
    assert merged["shard"]["merged"] == [1, 2, 3] and merged["shard"]["missing"] == []
    assert (out / "junit.xml").read_text().count("<testcase") == 60
    assert (out / "readiness-report.html").is_file()
    assert "gate FAILED" in capsys.readouterr().out


def test_a_missing_shard_makes_the_merged_run_partial(pytester: pytest.Pytester) -> None:
    paths = [shard_run(pytester, f"{i}/3")[1] for i in (1, 3)]
    out = pytester.path / "merged"
    readiness_main(["merge", *map(str, paths), "--out", str(out)])
    merged = load(out / "readiness-report.json")
    assert merged["shard"]["missing"] == [2]
    assert merged["selection"]["mode"] == "partial"
    assert "missing shard 2/3" in merged["gate"]["reason"]
    assert not merged["gate"]["passed"]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ({"profile": PROFILE.replace("test", "other")}, "profile version"),
        ({"run_id": "run-2"}, "pipeline run"),
    ],
)
def test_reports_of_different_runs_are_refused(
    pytester: pytest.Pytester,
    capsys: pytest.CaptureFixture[str],
    second: dict[str, str],
    why: str,
) -> None:
    first = shard_run(pytester, "1/2")[1]
    pytester.mkdir("other")
    moved = first.parent.rename(pytester.path / "other" / "shard-1")
    other = shard_run(pytester, "2/2", **second)[1]
    out = pytester.path / "merged"
    code = readiness_main(
        ["merge", str(moved / "readiness-report.json"), str(other), "--out", str(out)]
    )
    assert code == 4
    assert why in capsys.readouterr().out
    assert not out.exists()


def test_a_shard_given_twice_and_a_plain_report_are_refused(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shard_run(pytester, "1/2")[1]
    assert readiness_main(["merge", str(path), str(path)]) == 4
    assert "shard 1 given twice" in capsys.readouterr().out
    plain = load(path)
    del plain["shard"]
    (pytester.path / "plain.json").write_text(json.dumps(plain))
    assert readiness_main(["merge", str(pytester.path / "plain.json")]) == 4
    assert "not a shard report" in capsys.readouterr().out


def test_a_bad_shard_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result, _ = shard_run(pytester, "4/3")
    assert result.ret == 4
    assert "expected I/N with 1 <= I <= N" in result.stderr.str()
