"""A whole gate run against misbehaving targets always ends, in bounded time, with a report.

Real faulty servers on 127.0.0.1 (tests/fixtures/faultzoo.py) stand in for Prometheus,
Alertmanager, HTTP services and a Kubernetes API; the gate runs as users run it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.faultzoo import FaultServer, FaultZoo, silent

pytestmark = pytest.mark.integration

DEADLINE = 4.0
SLACK = 15.0  # pytest start-up and report writing on a busy 2-core machine


def _profile(zoo: FaultZoo, services: dict[str, str], **targets: Any) -> dict[str, Any]:
    return {
        "environment": "faultzoo",
        "limits": {"deadline": DEADLINE},
        "http": {"timeout": DEADLINE, "latency": {"requests": 20}},
        "dora": {"record": False},
        "targets": {
            "services": [
                {
                    "name": name,
                    "url": zoo.url(fault),
                    "health": {"path": "/healthz"},
                    "latency": {"path": "/healthz"},
                }
                for name, fault in services.items()
            ],
            **targets,
        },
    }


def _start(tmp_path: Path, profile: dict[str, Any], name: str) -> subprocess.Popen[bytes]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(profile))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--profile={path}",
            "-p",
            "no:cacheprovider",
            "-p",  # a dev-only plugin that imports all of hypothesis in its terminal summary
            "no:hypothesispytest",
            f"--report-dir={tmp_path / name}",
            "-q",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _run(
    tmp_path: Path, profile: dict[str, Any], name: str
) -> tuple[float, int, str, dict[str, Any]]:
    started = time.monotonic()
    proc = _start(tmp_path, profile, name)
    out, _ = proc.communicate(timeout=600)
    elapsed = time.monotonic() - started
    report = json.loads((tmp_path / name / "readiness-report.json").read_text())
    return elapsed, proc.returncode, out.decode(errors="replace"), report


def test_gate_against_the_fault_zoo_ends_within_twice_the_deadline_naming_each_target(
    fault_zoo: FaultZoo, tmp_path: Path
) -> None:
    healthy = _profile(fault_zoo, {"shop": "healthy"})
    baseline, _, _, _ = _run(tmp_path, healthy, "healthy")

    faulty = _profile(
        fault_zoo,
        {
            "shop": "healthy",
            "hole": "blackhole",
            "drip": "dribbling",
            "mute": "silent",
            "flood": "huge-body",
        },
        prometheus={
            "url": fault_zoo.url("silent").replace("//", "//scraper:zoo-pass-123@"),
            "verify_tls": False,
        },
        alertmanager={"url": fault_zoo.url("dribbling")},
        kubernetes=[
            {"name": "notkube", "api_url": fault_zoo.url("healthy"), "token": "zoo-token-1"}
        ],
    )
    elapsed, code, out, report = _run(tmp_path, faulty, "faulty")

    assert elapsed < baseline + 2 * DEADLINE + SLACK, (elapsed, baseline, out[-3000:])
    assert code == 1, out[-3000:]
    assert report["gate"]["passed"] is False
    silent_url = fault_zoo.url("silent").replace("//", "//***@")
    assert report["run"]["tls_unverified"] == [f"targets.prometheus ({silent_url})"]
    for written in (tmp_path / "faulty").rglob("*"):  # JSON, HTML, JUnit, history…
        if written.is_file():
            assert b"zoo-pass-123" not in written.read_bytes(), written.name
    assert "zoo-pass-123" not in out
    assert "TLS verification OFF: targets.prometheus" in out
    checks = report["checks"]
    by_target: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        by_target.setdefault(check["target"], []).append(check)
    for name in ("hole", "drip", "mute"):
        outcomes = {c["outcome"] for c in by_target.get(name, [])}
        assert outcomes and "passed" not in outcomes, (name, outcomes)
    silent = fault_zoo.url("silent").removeprefix("http://")
    alerting_errors = [c for c in checks if c["family"] == "alerting" and c["outcome"] == "error"]
    assert alerting_errors, "Prometheus and Alertmanager that never answer are errors"
    assert any(silent in c["message"] and "deadline" in c["message"] for c in alerting_errors)
    kube = [c for c in checks if c["family"] == "kubernetes" and c["outcome"] == "error"]
    assert any("not like Kubernetes" in c["message"] for c in kube)
    assert not any(
        c["family"] == "kubernetes" and c["outcome"] == "passed" and "notkube" in c["target"]
        for c in checks
    )
    # Latency sampling stops at the first timeout: one connection per faulty service probe.
    assert fault_zoo.servers["blackhole"].accepted < 10


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_ends_the_run_like_ctrl_c_with_reports_within_5_seconds(
    fault_zoo: FaultZoo, tmp_path: Path, signum: signal.Signals
) -> None:
    # A silent server of this test's own: a connection left over from another test's
    # run cannot look like this run probing it (the signal would come during start-up).
    mute = FaultServer("mute", silent)
    proc: subprocess.Popen[bytes] | None = None
    try:
        profile = _profile(fault_zoo, {"drip": "dribbling"})
        profile["targets"]["services"].append(
            {"name": "mute", "url": mute.url, "health": {"path": "/healthz"}}
        )
        profile["limits"] = {"deadline": 300}
        profile["http"]["timeout"] = 300
        proc = _start(tmp_path, profile, "run")
        waited = time.monotonic()
        while mute.accepted == 0 and time.monotonic() - waited < 120:
            time.sleep(0.1)  # until the run is probing a target that never answers
        assert proc.poll() is None, proc.communicate()[0][-2000:]
        sent = time.monotonic()
        os.kill(proc.pid, signum)
        out, _ = proc.communicate(timeout=60)
    finally:
        mute.close()
        if proc is not None and proc.poll() is None:  # hung: end it here, not in a later test
            proc.kill()
            proc.communicate()
    took = time.monotonic() - sent
    assert took < 5 + 5, (took, out[-2000:])  # 5 s, and a busy machine's scheduling
    assert proc.returncode == 2, out.decode(errors="replace")[-2000:]
    report = json.loads((tmp_path / "run" / "readiness-report.json").read_text())
    assert report["interrupted"] is True
    assert report["gate"]["passed"] is False


def test_closed_output_pipe_ends_the_run_like_ctrl_c_with_a_complete_report_set(
    fault_zoo: FaultZoo, tmp_path: Path
) -> None:
    # `pytest --profile=… | head -1`: the reader goes away after the first line while the
    # run waits on a target that answers only when its deadline ends the read.
    profile = _profile(fault_zoo, {"shop": "healthy", "mute": "silent", "drip": "dribbling"})
    proc = _start(tmp_path, profile, "piped")
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert first, "the run wrote a first line"
    report_dir = tmp_path / "piped"
    data = (report_dir / "readiness-report.json").read_bytes()
    report = json.loads(data)
    digest = (report_dir / "readiness-report.json.sha256").read_text()
    assert digest == f"{hashlib.sha256(data).hexdigest()}  readiness-report.json\n"
    assert report["interrupted"] is True, report["summary"]
    assert code == 2
    assert report["gate"]["passed"] is False
    assert not list(report_dir.glob(".readiness-staging-*"))
