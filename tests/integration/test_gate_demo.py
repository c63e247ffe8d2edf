"""Gate integrity against the real demo (every family's servers): selection by control id,
partial and empty runs that change no history, a broken profile that replaces a stale
pass, and a JUnit file CI tools accept. Runs under `flock /work/demo.lock`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.dora.store import open_store
from tests.integration.test_demo import DEMO_PORTS, listening
from tests.plugin.test_reports import validate_junit

pytestmark = pytest.mark.integration


class Demo:
    def __init__(self, workdir: Path, demo_dir: Path):
        self.workdir = workdir
        self.demo_dir = demo_dir
        self.reports = workdir / "reports"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", *args],
            cwd=self.workdir,
            env={**os.environ, "READINESS_DEMO_DIR": str(self.demo_dir)},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def gate(self, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        done = self.run("pytest", "--profile=demo", "-p", "no:cacheprovider", *args)
        path = self.reports / "readiness-report.json"
        return done, json.loads(path.read_text()) if path.exists() else {}

    def open_incidents(self) -> list[str]:
        store = open_store(str(self.demo_dir / "dora.sqlite"))
        try:
            return sorted(i.id for i in store.open_incidents())
        finally:
            store.close()

    def gate_runs(self) -> int:
        store = open_store(str(self.demo_dir / "dora.sqlite"))
        try:
            return store.counts()["gate_runs"]
        finally:
            store.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    busy = [p for p in DEMO_PORTS if listening(p)]
    assert not busy, f"demo ports in use before the test: {busy} (a demo still up?)"
    root = tmp_path_factory.mktemp("gate-demo")
    (root / "work").mkdir()
    d = Demo(root / "work", root / "demo")
    up = d.run("readiness.cli", "demo", "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield d
    finally:
        d.run("readiness.cli", "demo", "down")
    assert not [p for p in DEMO_PORTS if listening(p)], "demo down left servers running"


def test_full_demo_run_and_its_junit(demo: Demo) -> None:
    done, report = demo.gate()
    assert done.returncode == 1, done.stdout[-3000:]
    assert report["selection"]["mode"] == "full"
    assert report["gate"]["state"] == "failed" and report["gate"]["passed"] is False
    assert report["selection"]["selected"] == report["selection"]["total"] == len(report["checks"])
    ids = [c["id"] for c in report["checks"]]
    assert len(set(ids)) == len(ids)
    assert all(c["nodeid"].startswith("checks/test_") for c in report["checks"])
    path = demo.reports / "junit.xml"
    validate_junit(path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("errors", "-1")) == report["summary"]["error"] > 0
    assert int(suite.get("failures", "-1")) == report["summary"]["failed"] > 0
    families = {c.get("classname") for c in suite.iter("testcase")}
    assert families == {f"readiness.{f}" for f in report["by_family"]}
    warned = next(c for c in suite.iter("testcase") if c.find("system-out") is not None)
    props = {p.get("name"): p.get("value") for p in warned.iter("property")}
    assert props["outcome"] in ("warned", "waived") and props["control"] and props["severity"]
    out = done.stdout
    assert "short test summary info" not in out
    blocking = out.index("blocking (")
    assert blocking < out.index("not blocking:")


def test_control_ids_select_and_a_partial_run_changes_no_history(demo: Demo) -> None:
    demo.gate()  # a full failing run opens the live families' incidents
    opened = demo.open_incidents()
    runs = demo.gate_runs()
    assert opened

    done, report = demo.gate("-k", "HTTP-HSTS")
    sel = report["selection"]
    assert sel["mode"] == "partial" and sel["selected"] > 0 and sel["total"] > sel["selected"]
    assert {c["control"] for c in report["checks"]} == {"HTTP-HSTS"}
    assert report["gate"]["state"] in ("partial", "failed") and not report["gate"]["passed"]
    assert "gate PASSED" not in done.stdout

    done, report = demo.gate("-k", "storefront")
    assert report["selection"]["mode"] == "partial"
    assert report["dora"]["written"] is None
    assert any("not a gate run" in n for n in report["dora"]["notes"])

    done, report = demo.gate("-k", "NO-SUCH-CONTROL")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED
    assert report["gate"]["state"] == "error" and report["selection"]["selected"] == 0

    done, _ = demo.gate("-k", "http", "--record-deployment")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--record-deployment refused: a partial run" in done.stderr

    assert demo.open_incidents() == opened
    assert demo.gate_runs() == runs


def test_a_broken_profile_replaces_the_previous_reports(demo: Demo) -> None:
    demo.gate("--control", "HTTP-HEALTH")
    assert (demo.reports / "readiness-report.json").exists()
    (demo.workdir / "typo.yaml").write_text("extends: demo\ngate: {fail_on: severe}\n")
    done = demo.run("pytest", "--profile=typo.yaml", "-p", "no:cacheprovider")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    report = json.loads((demo.reports / "readiness-report.json").read_text())
    assert report["gate"]["state"] == "error" and "broken profile" in report["gate"]["reason"]
    assert report["checks"] == []
    validate_junit(demo.reports / "junit.xml")
    assert "ERROR" in (demo.reports / "readiness-report.html").read_text()
