"""Start and stop real server processes (Prometheus, a registry, PostgreSQL, …) on loopback.

Shared by the demo and the tests: ``start_process`` launches a binary with its own log
file, waits until a readiness URL answers (or the process dies), and returns a handle
whose ``stop()`` terminates it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerStartError(
            f"{name} is not installed; run ./setup.sh (Debian package {package})"
        )
    return path


PID_SUFFIX = ".server.pid"


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    pidfile: Path | None = None

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.pidfile is not None:
            self.pidfile.unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _record(workdir: Path, name: str, proc: subprocess.Popen[bytes], program: str) -> Path:
    """A pid file beside the log: whoever started it may die, ``stop_recorded`` finds it."""
    pidfile = workdir / f"{name}{PID_SUFFIX}"
    pidfile.write_text(f"{proc.pid} {Path(program).name}\n")
    return pidfile


def _ours(pid: int, program: str) -> bool:
    """Whether ``pid`` still runs ``program`` (a recycled pid is left alone)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return False
    return Path(argv0).name == program


def stop_recorded(root: Path, timeout: float = 10) -> list[str]:
    """Stop every server whose pid file is under ``root``; the names of those stopped."""
    stopped: list[str] = []
    for pidfile in sorted(root.rglob(f"*{PID_SUFFIX}")):
        try:
            pid_text, program = pidfile.read_text().split()
            pid = int(pid_text)
        except (OSError, ValueError):
            pidfile.unlink(missing_ok=True)
            continue
        if _ours(pid, program):
            _terminate(pid, timeout)
            stopped.append(pidfile.name.removesuffix(PID_SUFFIX))
        pidfile.unlink(missing_ok=True)
    return stopped


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM the server's process group (it leads its own session), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            _reap(pid)
            time.sleep(0.05)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, os.WNOHANG)


def start_process(
    name: str,
    argv: Sequence[str],
    workdir: Path,
    ready_url: str | None = None,
    ready_port: int | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> ManagedProcess:
    """Start ``argv`` and wait until ``ready_url`` answers 2xx (or ``ready_port`` accepts)."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            list(argv),
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
    handle = ManagedProcess(name, proc, log, _record(workdir, name, proc, argv[0]))
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServerStartError(
                f"{name} exited with status {proc.returncode} at start:\n{handle.log_tail()}"
            )
        if _ready(ready_url, ready_port):
            return handle
        if time.monotonic() > deadline:
            handle.stop()
            raise ServerStartError(f"{name} not ready after {timeout:.0f}s:\n{handle.log_tail()}")
        time.sleep(0.05)


def _ready(url: str | None, port: int | None) -> bool:
    if url is not None:
        try:
            with warnings.catch_warnings():  # self-signed test servers: only liveness matters
                warnings.simplefilter("ignore")
                return requests.get(url, timeout=1, verify=False).status_code < 300
        except requests.RequestException:
            return False
    if port is not None:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", port)) == 0
    return True
