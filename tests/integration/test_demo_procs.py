"""Demo servers never outlive the demo: pid files, and `demo down` finds what was left."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readiness.demo.procs import PID_SUFFIX, start_process, stop_recorded
from tests.integration.test_demo import DEMO_PORTS, REPO, listening, run

pytestmark = pytest.mark.integration


def test_server_left_by_a_starter_that_died_is_found_and_stopped(tmp_path: Path) -> None:
    server = start_process(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(300)"], tmp_path
    )
    pidfile = tmp_path / f"sleeper{PID_SUFFIX}"
    assert pidfile.read_text().split()[0] == str(server.process.pid)
    cmdline = Path(f"/proc/{server.process.pid}/cmdline")
    for _ in range(100):  # the new process shows its command line once it has exec'd
        if cmdline.read_bytes():
            break
        time.sleep(0.05)
    # The starter is gone without stopping it; a later `down` reads the pid file.
    assert stop_recorded(tmp_path) == ["sleeper"]
    assert server.process.wait(timeout=10) is not None
    assert not pidfile.exists()


def test_a_recycled_pid_is_never_signalled(tmp_path: Path) -> None:
    (tmp_path / f"prometheus{PID_SUFFIX}").write_text(f"{os.getpid()} prometheus\n")
    assert stop_recorded(tmp_path) == []  # our own pid runs python, not prometheus
    assert not (tmp_path / f"prometheus{PID_SUFFIX}").exists()


def test_demo_run_whose_output_pipe_closes_stops_every_server(tmp_path: Path) -> None:
    busy = [p for p in DEMO_PORTS if listening(p)]
    assert not busy, f"demo ports in use before the test: {busy} (a demo still up?)"
    env = {**os.environ, "READINESS_DEMO_DIR": str(tmp_path / "demo")}
    started = time.monotonic()
    pipeline = subprocess.run(
        f"{sys.executable} -m readiness.cli demo run -q -p no:cacheprovider "
        f"--report-dir={tmp_path / 'reports'} 2>&1 | grep -m1 'readiness demo: running'",
        shell=True,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # The reader left once the gate started: every later line meets a closed pipe.
    assert pipeline.stdout.startswith("readiness demo: running"), pipeline.stdout
    deadline = started + 600
    while any(listening(p) for p in DEMO_PORTS) and time.monotonic() < deadline:
        time.sleep(0.5)  # the demo stops its servers after the reader went away
    assert not [p for p in DEMO_PORTS if listening(p)]
    assert list((tmp_path / "demo").rglob(f"*{PID_SUFFIX}")) == []
    down = run(["readiness.cli", "demo", "down"], REPO, tmp_path / "demo")
    assert down.returncode == 0 and "not running" in down.stdout
