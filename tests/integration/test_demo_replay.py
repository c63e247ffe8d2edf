"""The demo's evidence, replayed after the demo is gone: the same verdict and outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_demo import DEMO_PORTS, REPO, listening, run

pytestmark = pytest.mark.integration


def _judged(report: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {c["id"]: (c["outcome"], c["severity"], c["message"]) for c in report["checks"]}


def test_demo_snapshot_replays_offline_to_the_identical_verdict(tmp_path: Path) -> None:
    busy = [p for p in DEMO_PORTS if listening(p)]
    assert not busy, f"demo ports in use before the test: {busy} (a demo still up?)"
    recorded, replayed = tmp_path / "recorded", tmp_path / "replayed"
    snap = tmp_path / "demo-evidence.tar.gz"
    done = run(
        [
            "readiness.cli",
            "demo",
            "run",
            "-p",
            "no:cacheprovider",
            f"--report-dir={recorded}",
            f"--snapshot={snap}",
        ],
        REPO,
        tmp_path / "demo",
    )
    assert done.returncode == 1, (done.stdout + done.stderr)[-3000:]
    assert not [p for p in DEMO_PORTS if listening(p)], "the demo is down before the replay"
    again = run(
        [
            "readiness.cli",
            "replay",
            str(snap),
            "--profile",
            "demo",
            "-p",
            "no:cacheprovider",
            f"--report-dir={replayed}",
        ],
        REPO,
        tmp_path / "demo",
    )
    assert again.returncode == 1, (again.stdout + again.stderr)[-3000:]
    first = json.loads((recorded / "readiness-report.json").read_text())
    second = json.loads((replayed / "readiness-report.json").read_text())
    assert second["replay"]["missing_reads"] == []
    assert second["replay"]["evidence_time"] == first["snapshot"]["evidence_time"]
    assert second["gate"]["state"] == first["gate"]["state"] == "failed"
    assert second["summary"] == first["summary"]
    assert _judged(second) == _judged(first)
    assert second["dora"]["recorded"] is False
