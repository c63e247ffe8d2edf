"""Collection once per run, concurrently, with errors kept per piece of evidence."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from readiness.demo._operations_api import (
    CollectorState,
    LokiState,
    Route,
    collector_routes,
    loki_routes,
)
from readiness.errors import SourceError
from readiness.profile.model import Profile
from readiness.sources.operations_evidence import OperationsEvidence
from tests.fixtures.operations import Start, run_checks

pytestmark = pytest.mark.integration


def _meeting(route: Route, barrier: threading.Barrier) -> Route:
    """Answer only once the other source's request has arrived too."""

    def wait_then_answer(q: dict[str, str], h: dict[str, str]) -> tuple[int, str, bytes]:
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            return 500, "text/plain", b"the other request never came"
        return route(q, h)

    return wait_then_answer


def test_prefetch_reads_sources_concurrently_and_once(recorded_api: Start, tmp_path: Path) -> None:
    barrier = threading.Barrier(2)
    loki = recorded_api("loki", {"/ready": _meeting(loki_routes(LokiState())["/ready"], barrier)})
    otel = recorded_api("otel", {"/": _meeting(collector_routes(CollectorState())["/"], barrier)})
    profile = Profile.model_validate(
        {
            "environment": "test",
            "targets": {
                "loki": {"url": loki.url, "retries": 0, "timeout": 20},
                "otel_collector": {"url": otel.url, "retries": 0, "timeout": 20},
            },
        }
    )
    ops = OperationsEvidence(profile, tmp_path, dt.datetime.now(dt.UTC))
    try:
        ops.prefetch(["loki_ready", "collector", "grafana_state"])  # grafana: not configured
        assert ops.loki_ready() == (True, "HTTP 200: ready\n")
        assert ops.collector().status == "Server available"
        assert ops.loki_ready()[0]  # cached: no second request
        assert loki.requests == ["/ready"] and otel.requests == ["/"]
        assert ops.available() >= {"loki_ready", "service_logs", "log_retention", "collector"}
        with pytest.raises(SourceError, match="grafana_state: not configured in the profile"):
            ops.grafana_state()
    finally:
        ops.close()


def test_a_failed_source_errors_every_check_that_needs_it(tmp_path: Path) -> None:
    profile = Profile.model_validate(
        {
            "environment": "test",
            "targets": {"backups": [{"name": "db", "directory": "nowhere"}]},
        }
    )
    ops = OperationsEvidence(profile, tmp_path, dt.datetime.now(dt.UTC))
    try:
        for _ in range(2):
            with pytest.raises(SourceError, match=r"backup db: backup directory .* does not exist"):
                ops.backups("db")
    finally:
        ops.close()


def test_checks_start_their_evidence_together(
    pytester: pytest.Pytester, recorded_api: Start
) -> None:
    """OPS-LOGGING needs /ready, OPS-LOG-RETENTION needs /config: this Loki answers
    either only while the other request is in flight, so both pass only if the run
    fetched them at the same time."""

    barrier = threading.Barrier(2)
    routes = loki_routes(LokiState(logs={"checkout": ['{"msg": "ok"}']}))
    routes["/ready"] = _meeting(routes["/ready"], barrier)
    routes["/config"] = _meeting(routes["/config"], barrier)
    loki = recorded_api("loki", routes)
    profile = {
        "environment": "test",
        "targets": {"loki": {"url": loki.url, "retries": 0, "timeout": 20}},
        "operations": {"logging": {"services": ["checkout"], "retention_days": 7}},
    }
    _, got = run_checks(pytester, profile, "-k", "test_logging or test_log_retention")
    outcomes = {key: c["outcome"] for key, c in got.items()}
    assert outcomes == {
        ("OPS-LOGGING", "checkout"): "passed",
        ("OPS-LOG-RETENTION", "loki"): "passed",
    }
    assert sorted(loki.requests) == ["/config", "/loki/api/v1/query_range", "/ready"]
