"""Evidence snapshots: record the HTTP checks over real HTTPS services, replay them offline.

The replay runs in a process whose sockets are refused: every answer comes from the
snapshot, the verdict and each check's outcome and message are those of the recorded run,
an altered snapshot is refused naming the item, a changed profile re-judges the same
evidence, and no secret of the profile is in the archive.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.tls import METRICS_TOKEN, Estate
from tests.integration.test_http_checks import CHECKS, estate_profile

pytestmark = pytest.mark.integration


def _run(
    work: Path, profile: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", f"--profile={profile}", CHECKS),
            *("-p", "no:cacheprovider", "-p", "no:benchmark", "--tb=no", "-q"),
            *("--report-dir", str(work / "reports")),
            *args,
        ],
        cwd=work,
        env={**os.environ, "TEST_METRICS_TOKEN": METRICS_TOKEN},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((work / "reports" / "readiness-report.json").read_text())
    return proc, report


def _judged(report: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c["control"], c["target"]): (c["outcome"], c["message"]) for c in report["checks"]}


@pytest.fixture(scope="module")
def recorded(http_estate: Estate, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("snapshot")
    profile = estate_profile(http_estate, work / "estate.yaml")
    proc, report = _run(work, profile, "--snapshot", "evidence.tar.gz")
    assert "evidence snapshot" in proc.stdout, proc.stdout[-2000:]
    return {"work": work, "profile": profile, "report": report}


def test_replay_offline_gives_the_same_verdict_and_outcomes(recorded: dict[str, Any]) -> None:
    work: Path = recorded["work"]
    proc, replayed = _run(work, recorded["profile"], "--replay", "evidence.tar.gz")
    original = recorded["report"]
    assert replayed["gate"]["state"] == original["gate"]["state"]
    assert _judged(replayed) == _judged(original)
    assert replayed["replay"]["missing_reads"] == [], replayed["replay"]
    assert replayed["replay"]["evidence_time"] == original["snapshot"]["evidence_time"]
    assert "DORA" not in proc.stdout or "NOT recorded" in proc.stdout


def test_a_changed_profile_rejudges_the_same_evidence(recorded: dict[str, Any]) -> None:
    work: Path = recorded["work"]
    profile = yaml.safe_load(recorded["profile"].read_text())
    profile["gate"]["fail_on"] = "critical"  # HSTS (medium) no longer blocks
    new = {**profile["targets"]["services"][0], "name": "new", "url": "https://127.0.0.1:9"}
    profile["targets"]["services"].append(new)
    changed = work / "changed.yaml"
    changed.write_text(yaml.safe_dump(profile))
    _, report = _run(work, changed, "--replay", "evidence.tar.gz")
    checks = _judged(report)
    assert checks[("HTTP-HSTS", "no-hsts")][0] == "warned"
    # The new service was never read: replay says so instead of reaching the network.
    outcome, message = checks[("HTTP-HEALTH", "new")]
    assert outcome == "error" and "snapshot holds no http-probe answer" in message


def test_an_altered_snapshot_is_refused_naming_the_item(recorded: dict[str, Any]) -> None:
    work: Path = recorded["work"]
    original = work / "evidence.tar.gz"
    with tarfile.open(original) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    name, _ = next((m, d) for m, d in members if m.name.startswith("items/"))
    altered = work / "altered.tar.gz"
    with tarfile.open(altered, "w:gz") as tar:
        for member, content in members:
            if member is name:
                content = content.replace(b"200", b"503", 1) + b" "
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--profile={recorded['profile']}",
            CHECKS,
            "-p",
            "no:cacheprovider",
            "--replay",
            str(altered),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TEST_METRICS_TOKEN": METRICS_TOKEN},
    )
    assert proc.returncode == 4
    assert f"item {name.name}" in proc.stderr and "altered" in proc.stderr


def test_no_secret_in_the_snapshot(recorded: dict[str, Any]) -> None:
    raw = gzip.decompress((recorded["work"] / "evidence.tar.gz").read_bytes())
    assert METRICS_TOKEN.encode() not in raw
    assert b"Authorization" not in raw
