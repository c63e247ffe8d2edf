"""The collection phase runs once, before the first check, for selected modules only."""

from __future__ import annotations

import json

import pytest

READS = """
import threading, time
from readiness import control, parametrize
from readiness.checking import profile_of
from readiness.collect import Job, params

LOG = []

def readiness_collect(config, items):
    LOG.append(("collect", sorted(params(items, "target", str))))
    def read(t):
        def run():
            time.sleep(0.3)
            LOG.append(("read", t))
        return run
    return [Job(f"host-{t}", read(t), t) for t in params(items, "target", str)]

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", [(t, t) for t in ("a", "b", "c", "d", "e", "f")])

@control("HTTP-HEALTH")
def test_health(target):
    LOG.append(("check", target))
    reads = [t for kind, t in LOG if kind == "read"]
    assert target in reads  # read before any check ran

def test_zz_log():
    print("LOG=" + __import__("json").dumps(LOG))
"""

UNSELECTED = """
LOG = []
def readiness_collect(config, items):
    raise AssertionError("a module without selected checks must not be read")

def test_other():
    pass
"""


def test_reads_run_concurrently_before_the_first_check(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        prof="extends: none\nenvironment: test\nfamilies: {http: {enabled: true}}\n",
    )
    pytester.makepyfile(test_reads=READS, test_other=UNSELECTED)
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "-s", "-k", "not other", "."
    )
    line = next(x for x in result.stdout.lines if x.startswith("LOG=") or "LOG=" in x)
    log = json.loads(line.split("LOG=", 1)[1])
    assert log[0] == ["collect", ["a", "b", "c", "d", "e", "f"]]
    kinds = [k for k, _ in log]
    assert kinds.index("check") > max(i for i, k in enumerate(kinds) if k == "read")
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    phase = report["collection"]
    assert phase["jobs"] == 6 and phase["hosts"] == 6 and phase["errors"] == []
    assert phase["seconds"] < 6 * 0.3  # six 0.3 s reads side by side, not one after another
    assert phase["families"] == ["reads"]
