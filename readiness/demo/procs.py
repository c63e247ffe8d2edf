"""Start and stop real server processes (Prometheus, a registry, PostgreSQL, …) on loopback.

Shared by the demo and the tests: ``start_process`` launches a binary with its own log
file, waits until a readiness URL answers (or the process dies), and returns a handle
whose ``stop()`` terminates it.
"""

from __future__ import annotations

import shutil
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


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


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
    handle = ManagedProcess(name, proc, log)
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
