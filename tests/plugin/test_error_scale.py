"""Many checks erroring on one source: each error is raised fresh and reported without
a Python traceback, so 200 errors cost about ten times 20, not a hundred times."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "errors.py"


def _bench() -> ModuleType:
    """bench/errors.py: its generated check module and port helper serve here too."""
    spec = importlib.util.spec_from_file_location("bench_errors", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()
closed_port = bench.free_port  # nothing listens on it


def timed_run(pytester: pytest.Pytester, n: int, port: int) -> tuple[float, pytest.RunResult]:
    pytester.makefile(".yaml", prof=bench.PROFILE)
    pytester.makepyfile(test_checks=bench.CHECKS.format(port=port, n=n, legacy=False))
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
