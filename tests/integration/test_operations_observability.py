"""Loki, Grafana, Jaeger and the OpenTelemetry collector sources.

None of the four can be installed from the registries on this machine, so these tests
run the real sources against local HTTP servers that serve the products' documented API
response shapes, recorded in readiness/demo/operations_api/ (timestamps moved to now).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from readiness.demo._operations_api import (
    CollectorState,
    GrafanaState,
    JaegerState,
    LokiState,
    RecordedApiServer,
    collector_routes,
    grafana_routes,
    jaeger_routes,
    loki_routes,
)
from readiness.errors import SourceError
from readiness.profile.common import Auth, BasicAuth, Endpoint
from readiness.rules import operations_observability as obs
from readiness.sources.api import ApiClient
from readiness.sources.grafana import GrafanaClient
from readiness.sources.jaeger import JaegerClient
from readiness.sources.loki import LokiClient
from readiness.sources.otel import collector_health
from readiness.sources.run import start_run
from tests.fixtures.operations import Start

pytestmark = pytest.mark.integration

JSON_LINE = json.dumps({"level": "info", "msg": "order placed"})


def _api(name: str, server: RecordedApiServer, **kw: object) -> ApiClient:
    return ApiClient(name, Endpoint.model_validate({"url": server.url, "retries": 0, **kw}))


def test_loki_logs_per_service(recorded_api: Start) -> None:
    state = LokiState(logs={"checkout": [JSON_LINE] * 5, "legacy": ["GET / 200"] * 4})
    loki = LokiClient(_api("loki", recorded_api("loki", loki_routes(state))))
    now = dt.datetime.now(dt.UTC)
    assert loki.ready() == (True, "HTTP 200: ready\n")

    checkout = loki.recent_logs("service", "checkout", 15, 50, now)
    assert len(checkout.lines) == 5 and checkout.newest is not None
    assert obs.logs_present_findings(checkout, "service") == []
    assert obs.structured_findings(checkout, 0.95) == []

    legacy = loki.recent_logs("service", "legacy", 15, 50, now)
    (finding,) = obs.structured_findings(legacy, 0.95)
    assert finding.message == "only 0 of 4 recent log lines of legacy are JSON objects"

    silent = loki.recent_logs("service", "cart", 15, 50, now)
    (finding,) = obs.logs_present_findings(silent, "service")
    assert finding.message == "no logs of cart in Loki in the last 15 minutes"


def test_loki_not_ready_and_retention(recorded_api: Start) -> None:
    state = LokiState(ready=False, retention_period="168h")
    loki = LokiClient(_api("loki", recorded_api("loki", loki_routes(state))))
    ready, detail = loki.ready()
    assert not ready and detail.startswith("HTTP 503: Ingester not ready")
    retention = loki.retention()
    assert retention == obs.LokiRetention(True, "168h")
    (finding,) = obs.log_retention_findings(retention, 30)
    assert finding.message == "Loki deletes logs after 7 days"
    state.retention_period = "744h"
    assert obs.log_retention_findings(loki.retention(), 30) == []
    state.retention_enabled = False
    assert obs.log_retention_findings(loki.retention(), 30) == []


def test_jaeger_services_and_recent_traces(recorded_api: Start) -> None:
    state = JaegerState(traces={"checkout": 3, "cart": 0})
    jaeger = JaegerClient(_api("jaeger", recorded_api("jaeger", jaeger_routes(state))))
    now = dt.datetime.now(dt.UTC)
    known = jaeger.services()
    assert known == ("cart", "checkout")
    assert obs.tracing_findings(jaeger.traces("checkout", 60, now, known)) == []
    (quiet,) = obs.tracing_findings(jaeger.traces("cart", 60, now, known))
    assert quiet.message == "no traces of cart in the last 60 minutes"
    (unknown,) = obs.tracing_findings(jaeger.traces("payments", 60, now, known))
    assert unknown.message == "Jaeger does not know service payments"
    state.age_seconds = 7200
    start_run()  # a later run: answers are cached per run
    (old,) = obs.tracing_findings(jaeger.traces("checkout", 60, now, known))
    assert old.found == "0 traces"


def test_otel_collector_health(recorded_api: Start) -> None:
    state = CollectorState()
    server = recorded_api("otel", collector_routes(state))
    assert obs.collector_findings(collector_health(_api("otel", server))) == []
    state.available = False
    answer = collector_health(_api("otel", server))
    assert answer == obs.HealthAnswer(503, "Server not available")
    assert obs.collector_findings(answer)[0].found == "HTTP 503, status 'Server not available'"


def test_grafana_health_datasources_dashboards(recorded_api: Start) -> None:
    state = GrafanaState(failing_datasources={"loki"})
    server = recorded_api("grafana", grafana_routes(state))
    grafana = GrafanaClient(_api("grafana", server, auth={"bearer_token": state.api_token}))
    found = grafana.state()
    assert found.database == "ok" and found.version == "10.4.2"
    assert [(d.name, d.status) for d in found.datasources] == [
        ("Prometheus", "OK"),
        ("Loki", "ERROR"),
        ("Jaeger", "OK"),
    ]
    (finding,) = obs.grafana_findings(found)
    assert finding.message == "datasource Loki (loki) is not healthy"
    dashboards = grafana.dashboards()
    assert obs.dashboard_findings(dashboards, ["slo-golden-signals", "DORA metrics"]) == []
    (missing,) = obs.dashboard_findings(dashboards, ["dora", "capacity"])
    assert missing.message == "Grafana lacks required dashboard: capacity"


def test_grafana_access_default_password_and_anonymous_admin(recorded_api: Start) -> None:
    state = GrafanaState(admin_password="admin", anonymous_admin=True)
    server = recorded_api("grafana", grafana_routes(state))
    grafana = GrafanaClient(_api("grafana", server, auth={"bearer_token": state.api_token}))
    access = grafana.access("admin", "admin")
    assert access == obs.GrafanaAccess(True, True, 200)
    assert len(obs.grafana_access_findings(access, "admin")) == 2
    state.admin_password, state.anonymous_admin = "long-random", False
    access = grafana.access("admin", "admin")
    assert access == obs.GrafanaAccess(False, False, 401)
    assert obs.grafana_access_findings(access, "admin") == []


def test_grafana_database_failing_and_bad_credentials(recorded_api: Start) -> None:
    state = GrafanaState(database="failing")
    server = recorded_api("grafana", grafana_routes(state))
    wrong = Auth(basic=BasicAuth(username="admin", password="wrong"))
    grafana = GrafanaClient(ApiClient("grafana", Endpoint(url=server.url, auth=wrong, retries=0)))
    assert grafana.health()["database"] == "failing"
    with pytest.raises(SourceError, match="refused our credentials"):
        grafana.state()


def test_unreachable_loki_is_a_source_error() -> None:
    from readiness.demo.procs import free_port

    loki = LokiClient(ApiClient("loki", Endpoint(url=f"http://127.0.0.1:{free_port()}", retries=0)))
    with pytest.raises(SourceError, match="loki: cannot reach"):
        loki.ready()
