"""One read per source in a run: a small estate judged by the HTTP, alerting, Kubernetes and
operations families together, each server counting the requests it gets per path.

Real servers on 127.0.0.1: three services, a runbook site, and the recorded Kubernetes API
server (over HTTPS, with the real ``kubernetes`` client). The operations family restates
what the others read (health endpoints, runbook URLs, Deployments and ReplicaSets): it
must judge their answers, so every path is read exactly as often as one family needs it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.demo._operations_api import RecordedApiServer, Route, static_files
from tests.fixtures.kubernetes import ServerFactory

pytestmark = pytest.mark.integration
CHECKS = Path(__file__).parent.parent.parent / "checks"
SERVICES = ("cart", "checkout", "search")
# The estate's shape: one alert name per symptom, a runbook per service. Alert names repeat
# with different URLs; two alerts share one URL; one page is missing (404).
ALERTS = [
    ("ServiceDown", "cart", "cart/down.md"),
    ("ServiceDown", "checkout", "checkout/down.md"),
    ("ServiceDown", "search", "search/down.md"),
    ("HighLatency", "cart", "cart/down.md"),
    ("HighLatency", "checkout", "checkout/latency.md"),  # not published
]


def _ok(q: dict[str, str], h: dict[str, str]) -> tuple[int, str, bytes]:
    return 200, "application/json", b'{"status": "ok"}'


def _page(q: dict[str, str], h: dict[str, str]) -> tuple[int, str, bytes]:
    return 200, "text/html", b"<html>shop</html>"


def _service() -> RecordedApiServer:
    routes: dict[str, Route] = {"/healthz": _ok, "/readyz": _ok, "/": _page, "/ping": _ok}
    return RecordedApiServer("service", routes)


@pytest.fixture
def estate(tmp_path: Path, k8s_server_factory: ServerFactory) -> Any:
    site = tmp_path / "site"
    for _, service, page in ALERTS:
        if page != "checkout/latency.md":
            (site / service).mkdir(parents=True, exist_ok=True)
            (site / page).write_text(f"# {service}\n")
    runbooks = RecordedApiServer("runbooks", static_files(site))
    services = {name: _service() for name in SERVICES}
    cluster = k8s_server_factory()
    rules = {
        "groups": [
            {
                "name": "estate",
                "rules": [
                    {
                        "alert": alert,
                        "expr": f'up{{service="{service}"}} == 0',
                        "for": "5m",
                        "labels": {"severity": "critical", "service": service},
                        "annotations": {
                            "summary": f"{alert} on {service}",
                            "description": f"{alert} on {service}",
                            "runbook_url": f"{runbooks.url}/{page}",
                        },
                    }
                    for alert, service, page in ALERTS
                ],
            }
        ]
    }
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    yield runbooks, services, cluster, tmp_path / "rules.yml"
    runbooks.stop()
    for server in services.values():
        server.stop()


def test_each_path_is_read_once_per_run(pytester: pytest.Pytester, estate: Any) -> None:
    runbooks, services, cluster, rules_file = estate
    profile = {
        "environment": "test",
        "targets": {
            "services": [
                {
                    "name": name,
                    "url": server.url,
                    "health": {"path": "/healthz"},
                    "ready": {"path": "/readyz"},
                    "latency": {"path": "/ping", "requests": 3},
                }
                for name, server in services.items()
            ],
            "rule_files": [str(rules_file)],
            "kubernetes": [cluster.cluster()],
        },
        "operations": {"runbooks": {"alerts_need_runbook_url": True}},
    }
    pytester.makefile(".yaml", prof=json.dumps(profile))
    modules = ["test_http.py", "test_alerting.py", "test_kubernetes.py", "test_operations.py"]
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(pytester.path),
        *(str(CHECKS / m) for m in modules),
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    checks = {(c["control"], c["target"]): c for c in report["checks"]}
    assert result.ret in (0, 1), result.stdout.str()[-3000:]

    # every service's health endpoint: read once, judged once by HTTP-HEALTH (to which
    # OPS-HEALTHCHECKS points)
    for name, server in services.items():
        hits = Counter(server.requests)
        assert hits["/healthz"] == 1, (name, hits)
        assert hits["/readyz"] == 1, (name, hits)
        ops = checks[("OPS-HEALTHCHECKS", name)]
        assert ops["message"] == f"judged by HTTP-HEALTH [{name}] in the http family"
        assert checks[("HTTP-HEALTH", name)]["outcome"] == "passed"

    # every family's reads, the runbook URLs of both families included, in one phase
    collection = report["collection"]
    assert collection["families"] == ["alerting", "http", "operations"], collection
    assert collection["errors"] == []

    # every distinct runbook URL: read once for both families, every one of them judged
    pages = {f"/{page}" for _, _, page in ALERTS}
    assert Counter(runbooks.requests) == dict.fromkeys(pages, 1)
    links = {t: c for (ctl, t), c in checks.items() if ctl == "OPS-RUNBOOK-LINKS"}
    assert set(links) == {f"rule-files:{runbooks.url}{page}" for page in pages} and len(pages) == 4
    broken = links[f"rule-files:{runbooks.url}/checkout/latency.md"]
    assert broken["outcome"] in ("failed", "warned")  # below the gate: still a failure
    assert "HighLatency" in broken["message"] and "HTTP 404" in broken["message"]
    shared = links[f"rule-files:{runbooks.url}/cart/down.md"]
    assert shared["outcome"] == "passed"
    assert shared["evidence"]["alerts"] == ["HighLatency", "ServiceDown"]

    # the cluster: each LIST once, though both families judge Deployments and ReplicaSets
    lists = Counter(cluster.server.requests)
    assert lists and max(lists.values()) == 1, lists
    assert any("deployments" in path for path in lists)
    assert any("replicasets" in path for path in lists)
    rollout = checks[("OPS-ROLLBACK-REVISIONS", "kubernetes")]
    assert rollout["outcome"] in ("passed", "failed") and rollout["evidence"]["workloads"]


class CountingProxy:
    """Forwards GETs to a real server and counts them per path and query."""

    def __init__(self, upstream: str):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import requests

        self.requests: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests[self.path] += 1
                answer = requests.get(upstream + self.path, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_prometheus_and_alertmanager_answers_are_shared(
    pytester: pytest.Pytester, ops_prometheus: Any
) -> None:
    """The alerting and operations families both read the rules, the alerts and the
    Alertmanager status of the real servers: each path and query is asked once."""
    prom, am = CountingProxy(ops_prometheus.prometheus), CountingProxy(ops_prometheus.alertmanager)
    profile = {
        "environment": "test",
        "families": {"operations": {"enabled": True}},
        "targets": {"prometheus": {"url": prom.url}, "alertmanager": {"url": am.url}},
    }
    pytester.makefile(".yaml", prof=json.dumps(profile))
    try:
        pytester.runpytest_subprocess(
            "--profile=prof.yaml",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(pytester.path),
            str(CHECKS / "test_alerting.py"),
            str(CHECKS / "test_operations.py"),
        )
    finally:
        prom.stop()
        am.stop()
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    ran = {c["control"] for c in report["checks"] if c["outcome"] != "skipped"}
    assert {"OPS-RUNBOOK-LINKS", "OPS-ONCALL", "OPS-MONITORING", "ALERT-RUNBOOK"} <= ran
    assert prom.requests["/api/v1/rules"] == 1, prom.requests
    assert max(prom.requests.values()) == 1, prom.requests
    assert am.requests["/api/v2/status"] == 1 and max(am.requests.values()) == 1, am.requests


def test_operations_alone_fetches_health_endpoints_together(pytester: pytest.Pytester) -> None:
    """Without the HTTP checks in the run, OPS-HEALTHCHECKS fetches every service's health
    endpoint itself: concurrently (the slow endpoints overlap), each once."""
    import threading
    import time

    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def slow(q: dict[str, str], h: dict[str, str]) -> tuple[int, str, bytes]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.5)
        with lock:
            state["now"] -= 1
        return 200, "application/json", b'{"status": "ok"}'

    servers = {f"svc-{i}": RecordedApiServer("service", {"/healthz": slow}) for i in range(6)}
    profile = {
        "environment": "test",
        "families": {"operations": {"enabled": True}},
        "targets": {
            "services": [
                {"name": name, "url": server.url, "health": {"path": "/healthz"}}
                for name, server in servers.items()
            ]
        },
    }
    pytester.makefile(".yaml", prof=json.dumps(profile))
    try:
        pytester.runpytest_subprocess(
            "--profile=prof.yaml",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(pytester.path),
            str(CHECKS / "test_operations.py"),
            "-k",
            "healthchecks",
        )
    finally:
        for server in servers.values():
            server.stop()
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    outcomes = {c["target"]: c["outcome"] for c in report["checks"]}
    assert outcomes == dict.fromkeys(servers, "passed")
    assert all(server.requests == ["/healthz"] for server in servers.values())
    assert state["most"] > 1, "the health endpoints were fetched one after another"
