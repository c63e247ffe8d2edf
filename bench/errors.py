"""One error, one raise: 1,000 checks erroring on one unreachable source vs 1,000
checks passing on a reachable one, measured in the same run with the same engine.

Each side is a real gate run (``pytest --profile=...`` in a subprocess, reports
written) over a generated check module whose checks share one source through
``readiness.errors.OnceCache``: the source is a TCP port on 127.0.0.1, closed for the
error side, listening for the passing side. A third, smaller side replays the old
way (one stored exception object re-raised by every check, with pytest's long
report) to show what the helper removes.

    python bench/errors.py [--checks 1000] [--legacy 20] [--repeat 3]

The old way grows with the square of its checks: keep --legacy small.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKS = """
import socket
from readiness import control, parametrize
from readiness.checking import profile_of
from readiness.errors import OnceCache, SourceError

PORT = {port}
N = {n}
LEGACY = {legacy}
SOURCE = OnceCache()
STORED = []


def probe():
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2):
            return "up"
    except OSError as exc:
        raise SourceError("metrics-db", f"cannot reach 127.0.0.1:{{PORT}}: {{exc.strerror}}")


def legacy_source():
    # The old cache: the first exception object, kept and raised again by every reader.
    if not STORED:
        try:
            probe()
        except SourceError as exc:
            STORED.append(RuntimeError(str(exc)))
    raise STORED[0]


def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [(f"svc-{{i}}", i) for i in range(N)])


@control("HTTP-HEALTH")
def test_health(target):
    if LEGACY:
        legacy_source()
    assert SOURCE.get("metrics-db", probe) == "up"
"""

PROFILE = """\
extends: none
environment: bench
gate: {fail_on: high}
dora: {record: false}
families: {http: {enabled: true}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gate_run(workdir: Path, port: int, n: int, legacy: bool) -> tuple[float, dict[str, int]]:
    (workdir / "test_checks.py").write_text(CHECKS.format(port=port, n=n, legacy=legacy))
    (workdir / "prof.yaml").write_text(PROFILE)
    cmd = [sys.executable, "-m", "pytest", "--profile=prof.yaml", "-p", "no:cacheprovider"]
    cmd += ["-q", "--no-header", "test_checks.py"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=workdir, capture_output=True, check=False, timeout=3600)
    elapsed = time.perf_counter() - start
    report = json.loads((workdir / "reports" / "readiness-report.json").read_text())
    return elapsed, report["summary"]


def median_run(workdir: Path, port: int, n: int, legacy: bool, repeat: int) -> float:
    """Median wall time of ``repeat`` gate runs; every check must end as expected."""
    times = []
    for _ in range(repeat):
        elapsed, summary = gate_run(workdir, port, n, legacy)
        outcome = "passed" if summary["passed"] == n else "error"
        if summary[outcome] != n:
            raise SystemExit(f"unexpected summary {summary}")
        times.append(elapsed)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--legacy", type=int, default=20, help="checks the old way (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with socket.socket() as listener, tempfile.TemporaryDirectory() as tmp:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4096)
        up, down = int(listener.getsockname()[1]), free_port()
        workdir = Path(tmp)
        rows = [
            ("passing (reachable source)", args.checks, up, False),
            ("erroring (unreachable source)", args.checks, down, False),
        ]
        if args.legacy:
            rows.append(("old way: one stored exception re-raised", args.legacy, down, True))
        timed = [
            (name, n, median_run(workdir, port, n, old, args.repeat)) for name, n, port, old in rows
        ]
    base_per_check = timed[0][2] / timed[0][1]
    print(f"# median of {args.repeat} gate runs each; load average {os.getloadavg()[0]:.1f}")
    print("| side | checks | wall time | per check | per check vs passing |")
    print("|---|---|---|---|---|")
    for name, n, t in timed:
        per = t / n
        print(f"| {name} | {n} | {t:.2f} s | {per * 1000:.1f} ms | {per / base_per_check:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
