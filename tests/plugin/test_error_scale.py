"""Many checks erroring on one source: each error is raised fresh and reported without
a Python traceback, so 200 errors cost about ten times 20, not a hundred times."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.plugin.test_plugin import profile_text

CHECKS = """
import socket
from readiness import control, parametrize
from readiness.checking import profile_of
from readiness.errors import OnceCache, SourceError

PORT = {port}
SOURCE = OnceCache()

def probe():
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2):
            return "up"
    except OSError as exc:
        raise SourceError("metrics-db", f"cannot reach 127.0.0.1:{{PORT}}: {{exc.strerror}}")

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [(f"svc-{{i}}", i) for i in range({n})])

@control("HTTP-HEALTH")
def test_health(target):
    SOURCE.get("metrics-db", probe)
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_run(pytester: pytest.Pytester, n: int, port: int) -> tuple[float, pytest.RunResult]:
    pytester.makefile(".yaml", prof=profile_text("dora: {record: false}\n"))
    pytester.makepyfile(test_checks=CHECKS.format(port=port, n=n))
    start = time.perf_counter()
    result = pytester.runpytest("--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py")
    return time.perf_counter() - start, result


def test_errors_on_one_source_scale_linearly(pytester: pytest.Pytester) -> None:
    port = closed_port()
    timed_run(pytester, 5, port)  # warm-up: imports, first collection
    t20, _ = timed_run(pytester, 20, port)
    t200, result = timed_run(pytester, 200, port)
    assert result.ret == 1
    data = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    assert data["summary"]["error"] == 200
    messages = {c["message"] for c in data["checks"]}
    assert len(messages) == 1 and "cannot reach 127.0.0.1" in messages.pop()
    # Linear would be ~10x (less: the run's fixed cost is in both); quadratic ~100x.
    assert t200 <= 10 * t20 + 5, (t20, t200)


def test_an_errored_check_reports_its_message_not_a_traceback(pytester: pytest.Pytester) -> None:
    _, result = timed_run(pytester, 3, closed_port())
    out = result.stdout.str()
    assert "ERROR at call of test_health[svc-0]" in out
    assert "could not run: metrics-db: cannot reach 127.0.0.1" in out
    assert "Traceback" not in out and "raise SourceError" not in out and "def probe" not in out
