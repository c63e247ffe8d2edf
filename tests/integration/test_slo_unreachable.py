"""SLO spec files and no reachable Prometheus: every SLO check ends as *error* naming the
target, and the run's time grows linearly with the number of SLOs.

A run over real-world spec files once took 29.5 minutes because each errored check
re-raised one stored exception (its traceback grew with every raise). The bound here is
relative (4x the SLOs may take at most 8x the time; quadratic growth would take 16x), so
it holds on a busy machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from readiness.demo.procs import free_port

pytestmark = pytest.mark.integration
CHECKS = Path(__file__).parent.parent.parent / "checks" / "test_slo.py"
CONTROLS = {"SLO-ATTAINMENT", "SLO-BUDGET", "SLO-BURN-RATE", "SLO-ALERTS", "SLO-DATA"}


def _sloth(service: str) -> dict[str, object]:
    """One Sloth spec file (the shape of slok/sloth's examples/getting-started.yml)."""
    query = f'sum(rate(http_request_duration_seconds_count{{job="{service}"}}[{{{{.window}}}}]))'
    errors = query.replace(f'job="{service}"', f'job="{service}",code=~"(5..|429)"')
    return {
        "version": "prometheus/v1",
        "service": service,
        "slos": [
            {
                "name": "requests-availability",
                "objective": 99.9,
                "sli": {"events": {"error_query": errors, "total_query": query}},
                "alerting": {"name": f"{service}HighErrorRate"},
            }
        ],
    }


def _run(pytester: pytest.Pytester, count: int) -> tuple[float, dict[str, list[str]]]:
    folder = pytester.path / f"specs-{count}"
    folder.mkdir()
    files = []
    for i in range(count):
        path = folder / f"svc-{i:03d}.yml"
        path.write_text(yaml.safe_dump(_sloth(f"svc-{i:03d}")))
        files.append(str(path))
    profile = {
        "environment": "test",
        "slo_files": files,
        "slo": {"prometheus": {"url": f"http://127.0.0.1:{free_port()}", "timeout": 2}},
    }
    pytester.makefile(".yaml", **{f"prof{count}": json.dumps(profile)})
    started = time.perf_counter()
    pytester.runpytest_subprocess(
        f"--profile=prof{count}.yaml",
        "-p",
        "no:cacheprovider",
        f"--report-dir=reports-{count}",
        str(CHECKS),
        timeout=300,  # a quadratic run fails here instead of running for half an hour
    )
    elapsed = time.perf_counter() - started
    report = json.loads((pytester.path / f"reports-{count}" / "readiness-report.json").read_text())
    outcomes: dict[str, list[str]] = {}
    for c in report["checks"]:
        outcomes.setdefault(c["control"], []).append(c["outcome"] + ": " + c["message"][:300])
    return elapsed, outcomes


def test_errors_are_linear_in_the_number_of_slos(pytester: pytest.Pytester) -> None:
    small, few = _run(pytester, 15)
    large, many = _run(pytester, 60)
    for outcomes, count in ((few, 15), (many, 60)):
        assert set(outcomes["SLO-SPEC"]) == {o for o in outcomes["SLO-SPEC"] if "passed" in o}
        for control in CONTROLS:
            found = outcomes[control]
            assert len(found) == count, control
            assert all(o.startswith("error: ") for o in found), found[:3]
            assert all("127.0.0.1" in o or "prometheus" in o.lower() for o in found), found[:3]
    assert large < 8 * small, f"15 SLOs: {small:.1f} s, 60 SLOs: {large:.1f} s"
