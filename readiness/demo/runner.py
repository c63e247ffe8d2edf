"""`readiness demo`: start the demo, run the gate on it, stop it, exit with the gate's status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from readiness import signals
from readiness.demo import Component, start_all, stop_all
from readiness.demo.procs import stop_recorded


def state_dir() -> Path:
    return Path(os.environ.get("READINESS_DEMO_DIR", "/tmp/readiness-demo"))


def _env(components: list[Component]) -> dict[str, str]:
    env: dict[str, str] = {}
    for c in components:
        env.update(c.env)
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    path.write_text("".join(f"export {k}={v}\n" for k, v in sorted(env.items())))


def _say(text: str) -> None:
    """Print; a reader that went away (``… | head``) does not stop the demo's cleanup."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        signals.silence_output()


def run(pytest_args: list[str]) -> int:
    """Start the demo, run the gate on it, and stop every server on any way out."""
    workdir = state_dir()
    workdir.mkdir(parents=True, exist_ok=True)
    restore = signals.install()  # SIGTERM, SIGHUP, SIGPIPE: stop like Ctrl-C
    components: list[Component] = []
    status = 2
    try:
        _say(f"readiness demo: starting the demo environment in {workdir}")
        components = start_all(workdir, log=_say)
        env = {**os.environ, **_env(components)}
        cmd = [sys.executable, "-m", "pytest", "--profile=demo", *pytest_args]
        _say(f"readiness demo: running {' '.join(cmd[1:])}")
        status = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        status = 2
    finally:
        with signals.deferred():  # a second signal must not cut the cleanup short
            _say("readiness demo: stopping the demo environment")
            stop_all(components)
            stop_recorded(workdir)  # anything a failed start left behind
        restore()
    _say(f"readiness demo: reports in {Path.cwd() / 'reports'}; gate exit status {status}")
    return status


def up() -> int:
    """Start the demo in a background process that keeps it running until `down`."""
    workdir = state_dir()
    workdir.mkdir(parents=True, exist_ok=True)
    pidfile = workdir / "demo.pid"
    if pidfile.exists():
        print(f"readiness demo: already up (pid {pidfile.read_text().strip()})")
        return 0
    log = (workdir / "demo.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "readiness.demo.runner", "serve"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    ready = workdir / "demo.env"
    ready.unlink(missing_ok=True)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            print(f"readiness demo: failed to start, see {workdir / 'demo.log'}")
            return 1
        time.sleep(0.2)
    pidfile.write_text(str(proc.pid))
    print("readiness demo: up. Run: pytest --profile=demo   (then: readiness demo down)")
    return 0


def down() -> int:
    """Stop the demo: the `up` process, and any server a dead `run` left behind."""
    workdir = state_dir()
    pidfile = workdir / "demo.pid"
    found = pidfile.exists()
    if found:
        pid = int(pidfile.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
        pidfile.unlink(missing_ok=True)
    leftovers = stop_recorded(workdir) if workdir.is_dir() else []
    if leftovers:
        print(f"readiness demo: stopped servers left running: {', '.join(leftovers)}")
    if not found and not leftovers:
        print("readiness demo: not running")
        return 0
    print("readiness demo: down")
    return 0


def serve() -> None:
    workdir = state_dir()
    components = start_all(workdir)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    write_env_file(workdir / "demo.env", _env(components))
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        stop_all(components)
        (workdir / "demo.env").unlink(missing_ok=True)


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    serve()
