"""`readiness demo`: the README's main job, end to end, with every family's real servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEMO_PORTS = (18440, 19090, 19093, 19190, 16443, 15000, 13000, 13005, 13010)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def run(args: list[str], cwd: Path, demo_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <args>`` with the demo's state under ``demo_dir``."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env={**os.environ, "READINESS_DEMO_DIR": str(demo_dir)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_shows_every_outcome_and_stops_everything(tmp_path: Path) -> None:
    busy = [p for p in DEMO_PORTS if listening(p)]
    assert not busy, f"demo ports in use before the test: {busy} (a demo still up?)"
    reports = tmp_path / "reports"
    done = run(
        ["readiness.cli", "demo", "run", "-p", "no:cacheprovider", f"--report-dir={reports}"],
        REPO,
        tmp_path / "demo",
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-4000:]  # the demo's deliberate flaws block the gate
    assert "readiness demo: stopping the demo environment" in out
    assert "gate exit status 1" in out
    report = json.loads((reports / "readiness-report.json").read_text())
    assert report["profile"] == "demo" and report["gate"]["passed"] is False
    assert {c["outcome"] for c in report["checks"]} == {
        "passed",
        "failed",
        "warned",
        "waived",
        "skipped",
        "error",
    }
    assert any(w["expired"] for w in report["waivers"])
    families = {c["family"] for c in report["checks"]}
    assert families == {
        "http",
        "alerting",
        "slo",
        "kubernetes",
        "supply_chain",
        "dora",
        "operations",
        "ci",
    }
    for family, counts in report["by_family"].items():
        assert counts["passed"] > 0, family
        assert counts["failed"] + counts["warned"] > 0, family
    for check in report["checks"]:
        if check["outcome"] in ("failed", "warned", "error"):
            assert check["message"] and check["remediation"], check["nodeid"]
    assert report["dora"] is not None
    html = (reports / "readiness-report.html").read_text()
    assert "Gate FAILED: release blocked" in html
    assert (reports / "junit.xml").is_file()
    assert not [p for p in DEMO_PORTS if listening(p)], "the demo left servers running"


def test_demo_up_keeps_it_running_for_repeated_runs_until_down(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    cli = ["readiness.cli", "demo"]
    elsewhere = tmp_path / "elsewhere"  # the bundled demo profile works from any directory
    elsewhere.mkdir()
    up = run([*cli, "up"], elsewhere, demo_dir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert listening(18440) and listening(15000)
        for _ in range(2):
            gate = run(
                ["pytest", "--profile=demo", "-p", "no:cacheprovider", "-q", "--family", "http"],
                elsewhere,
                demo_dir,
            )
            assert gate.returncode == 1, gate.stdout[-3000:]
            report = json.loads((elsewhere / "reports" / "readiness-report.json").read_text())
            assert {c["family"] for c in report["checks"]} == {"http"}
            assert {"passed", "failed"} <= {c["outcome"] for c in report["checks"]}
    finally:
        down = run([*cli, "down"], elsewhere, demo_dir)
    assert down.returncode == 0 and "readiness demo: down" in down.stdout
    assert not [p for p in DEMO_PORTS if listening(p)], "demo down left servers running"
