"""Demo component of the alerting family: a real Prometheus and Alertmanager.

Prometheus (127.0.0.1:19090) evaluates sample rules (some good, some without runbook or
severity, one that fails at evaluation), scrapes a small local service and a target
that is down; Alertmanager (127.0.0.1:19093) routes critical alerts to a webhook and
warnings to a receiver without integration. A helper HTTP server (127.0.0.1:19094)
serves runbooks, the service's metrics and the webhook. The helpers here are also used
by the test fixtures, which start the same servers on free ports.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import yaml

from readiness.demo import Component, promstack
from readiness.demo.procs import ManagedProcess
from readiness.demo.promstack import start_alertmanager

ORDER = 20
PROMETHEUS_PORT = 19090
ALERTMANAGER_PORT = 19093
SIDE_PORT = 19094
DOWN_PORT = 19095

METRICS = """\
# TYPE http_requests_total counter
http_requests_total{code="200",handler="/api"} 10500
http_requests_total{code="500",handler="/api"} 3
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 1000
node_cpu_seconds_total{cpu="0",mode="user"} 100
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 6e+09
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 8e+09
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{mountpoint="/"} 5e+10
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{mountpoint="/"} 1e+11
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 900
http_request_duration_seconds_bucket{le="0.5"} 990
http_request_duration_seconds_bucket{le="+Inf"} 1000
http_request_duration_seconds_sum 60
http_request_duration_seconds_count 1000
"""


class SideServer:
    """A local HTTP server: ``/metrics``, ``/runbooks/*`` (200), ``/hook/*`` (POST), else 404.

    ``delay`` (seconds) slows every answer down, for the runbook benchmark.
    """

    def __init__(self, port: int = 0, delay: float = 0.0):
        self.delay = delay
        self.hits: dict[str, int] = {}
        self.webhooks: list[dict[str, Any]] = []
        side = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real web servers do
            disable_nagle_algorithm = True
            wbufsize = 65536  # headers and body leave in one segment (flushed per request)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: str, ctype: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                side.hits[self.path] = side.hits.get(self.path, 0) + 1
                if side.delay:
                    time.sleep(side.delay)
                if self.path == "/metrics":
                    self._answer(200, METRICS, "text/plain; version=0.0.4")
                elif self.path.startswith("/runbooks/"):
                    self._answer(200, f"<h1>Runbook {self.path[10:]}</h1>", "text/html")
                else:
                    self._answer(404, "not found")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.startswith("/hook/"):
                    side.webhooks.append(json.loads(body or b"{}"))
                    self._answer(200, "ok")
                else:
                    self._answer(404, "not found")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_rules(directory: Path, files: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (directory / name).write_text(text)


def start_prometheus(
    workdir: Path,
    port: int,
    scrape_configs: Sequence[dict[str, Any]],
    *,
    alertmanager_port: int | None = None,
    retention: str = "15d",
    name: str = "prometheus",
    web_config: dict[str, Any] | None = None,
) -> ManagedProcess:
    """Prometheus with ``workdir/rules/*.yml``, 1 s scrape and evaluation intervals.

    ``web_config``: Prometheus' ``--web.config.file`` (TLS, basic auth); readiness is
    then awaited on the port, since ``/-/ready`` asks for credentials.
    """
    return promstack.start_prometheus(
        workdir,
        port,
        interval="1s",
        retention=retention,
        scrape_configs=scrape_configs,
        alertmanager_port=alertmanager_port,
        flags=("--rules.alert.resend-delay=1s", "--web.enable-lifecycle"),
        name=name,
        web_config=web_config,
    )


def wait_until_settled(prometheus_url: str, timeout: float = 60.0) -> None:
    """Until every target was scraped once and every rule group evaluated once."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            targets = requests.get(
                f"{prometheus_url}/api/v1/targets", timeout=5, verify=True
            ).json()["data"]
            groups = requests.get(f"{prometheus_url}/api/v1/rules", timeout=5, verify=True).json()[
                "data"
            ]
        except (requests.RequestException, ValueError, KeyError) as exc:
            last = str(exc)
        else:
            active = targets["activeTargets"]
            scraped = active and all(t["health"] != "unknown" for t in active)
            evaluated = all(
                r.get("health") != "unknown" for g in groups["groups"] for r in g["rules"]
            )
            if scraped and evaluated:
                time.sleep(1.5)  # one more evaluation over the scraped series
                return
            last = f"{len(active)} targets, scraped={bool(scraped)}, evaluated={evaluated}"
        time.sleep(0.25)
    raise RuntimeError(f"Prometheus at {prometheus_url} did not settle: {last}")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post_alerts(am_url: str, alerts: Sequence[dict[str, Any]], hours: float = 2) -> None:
    now = dt.datetime.now(dt.UTC)
    body = [
        {
            "labels": a["labels"],
            "annotations": a.get("annotations", {}),
            "startsAt": _iso(now - dt.timedelta(minutes=5)),
            "endsAt": _iso(now + dt.timedelta(hours=hours)),
        }
        for a in alerts
    ]
    requests.post(f"{am_url}/api/v2/alerts", json=body, timeout=5, verify=True).raise_for_status()


def post_silence(
    am_url: str, matchers: dict[str, str], days: float, comment: str, by: str = "demo"
) -> str:
    now = dt.datetime.now(dt.UTC)
    body = {
        "matchers": [
            {"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()
        ],
        "startsAt": _iso(now - dt.timedelta(minutes=1)),
        "endsAt": _iso(now + dt.timedelta(days=days)),
        "createdBy": by,
        "comment": comment,
    }
    response = requests.post(f"{am_url}/api/v2/silences", json=body, timeout=5, verify=True)
    response.raise_for_status()
    return str(response.json()["silenceID"])


def _alert(
    name: str,
    expr: str,
    severity: str | None,
    *,
    for_: str = "5m",
    runbook: str | None = None,
    summary: str = "",
    description: str = "",
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    labels = dict(extra_labels or {})
    if severity:
        labels["severity"] = severity
    if labels:
        rule["labels"] = labels
    annotations = {}
    if summary:
        annotations["summary"] = summary
    if description:
        annotations["description"] = description
    if runbook:
        annotations["runbook_url"] = runbook
    if annotations:
        rule["annotations"] = annotations
    return rule


def demo_rules(side_url: str) -> dict[str, Any]:
    rb = f"{side_url}/runbooks"
    return {
        "service.yml": {
            "groups": [
                {
                    "name": "service",
                    "rules": [
                        _alert(
                            "ServiceDown",
                            "up == 0",
                            "critical",
                            for_="1m",
                            runbook=f"{rb}/service-down",
                            summary="{{ $labels.job }} target {{ $labels.instance }} is down",
                            description="Prometheus cannot scrape {{ $labels.instance }}.",
                        ),
                        _alert(
                            "HighErrorRate",
                            'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / '
                            "sum by (job) (rate(http_requests_total[5m])) > 0.05",
                            "critical",
                            runbook=f"{rb}/high-error-rate",
                            summary="{{ $labels.job }} answers {{ $value | humanizePercentage }}"
                            " errors",
                            description="More than 5% of requests fail with 5xx.",
                        ),
                        _alert(
                            "HighLatencyP99",
                            "histogram_quantile(0.99, sum by (le, job) "
                            "(rate(http_request_duration_seconds_bucket[5m]))) > 0.5",
                            "warning",
                            runbook=f"{rb}/high-latency",
                            summary="p99 latency of {{ $labels.job }} above 500ms",
                            description="p99 is {{ $value | humanizeDuration }}.",
                        ),
                    ],
                }
            ]
        },
        "hosts.yml": {
            "groups": [
                {
                    "name": "hosts",
                    "rules": [
                        _alert(
                            "HostHighCpu",
                            '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))'
                            " > 0.8",
                            "warning",
                            for_="10m",
                            summary="CPU of {{ $labels.instance }} above 80%",
                            description="CPU busy {{ $value | humanizePercentage }}.",
                        ),
                        _alert(
                            "HostOutOfMemory",
                            "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10",
                            "warning",
                            for_="1m",
                            runbook=f"{rb}/out-of-memory",
                            summary="{{ $labels.instance }} has less than 10% memory left",
                            description="Available {{ $value | humanizePercentage }}.",
                        ),
                        _alert(
                            "DiskAlmostFull",
                            "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.15",
                            None,
                            runbook=f"{side_url}/wiki/disk-almost-full",
                            summary="{{ $labels.mountpoint }} almost full",
                            description="Less than 15% free on {{ $labels.mountpoint }}.",
                        ),
                        {
                            "record": "instance:bad_label_replace",
                            "expr": 'label_replace(vector(1), "a", "$1", "b", "(")',
                        },
                    ],
                }
            ]
        },
    }


RELEASE_RULES = """\
# Rules shipped with the release, not yet loaded by Prometheus.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: checkout-rules
  namespace: shop
spec:
  groups:
    - name: checkout
      rules:
        - alert: CheckoutSlowCheckout
          expr: histogram_quantile(0.95, sum by (le) (rate(checkout_seconds_bucket[5m])) > 2
          for: 10m
          labels: {severity: warning}
          annotations:
            summary: "checkout p95 above 2s"
            description: "p95 is {{ $value }}s"
            runbook_url: RUNBOOKS/checkout-slow
        - alert: CheckoutQueueBacklog
          expr: checkout_queue_depth > 1000
          for: 10m
          labels: {severity: warning}
          annotations:
            summary: "{{ $labels.queue backlog above 1000"
            description: "{{ $value }} jobs waiting"
            runbook_url: RUNBOOKS/checkout-backlog
"""


def demo_alertmanager_config(side_url: str) -> dict[str, Any]:
    return {
        "route": {
            "receiver": "default",
            "group_by": ["alertname", "service"],
            "group_wait": "1s",
            "group_interval": "1s",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "pager"},
                {"matchers": ['severity="warning"'], "receiver": "team-chat"},
            ],
        },
        "receivers": [
            {"name": "default", "webhook_configs": [{"url": f"{side_url}/hook/default"}]},
            {"name": "pager", "webhook_configs": [{"url": f"{side_url}/hook/pager"}]},
            {"name": "team-chat"},
        ],
    }


def start(workdir: Path) -> Component:
    base = workdir / "alerting"
    shutil.rmtree(base, ignore_errors=True)  # fresh TSDB, alerts and silences every time
    side = SideServer(SIDE_PORT)
    processes: list[ManagedProcess] = []

    def stop() -> None:
        for proc in reversed(processes):
            proc.stop()
        side.stop()

    try:
        write_rules(base / "prometheus" / "rules", demo_rules(side.url))
        write_rules(
            base / "release-rules",
            {"checkout-rules.yaml": RELEASE_RULES.replace("RUNBOOKS", f"{side.url}/runbooks")},
        )
        processes.append(
            start_alertmanager(
                base / "alertmanager", ALERTMANAGER_PORT, demo_alertmanager_config(side.url)
            )
        )
        scrape = [
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"127.0.0.1:{PROMETHEUS_PORT}"]}],
            },
            {
                "job_name": "checkout",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{SIDE_PORT}"], "labels": {"service": "checkout"}}
                ],
            },
            {
                "job_name": "storefront",
                "static_configs": [{"targets": [f"127.0.0.1:{SIDE_PORT}"]}],
            },
            {
                "job_name": "legacy-billing",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{DOWN_PORT}"], "labels": {"service": "billing"}}
                ],
            },
        ]
        processes.append(
            start_prometheus(
                base / "prometheus",
                PROMETHEUS_PORT,
                scrape,
                alertmanager_port=ALERTMANAGER_PORT,
                retention="15d",
            )
        )
        am_url = f"http://127.0.0.1:{ALERTMANAGER_PORT}"
        post_alerts(
            am_url,
            [
                {
                    "labels": {
                        "alertname": "CheckoutPaymentsFailing",
                        "severity": "critical",
                        "service": "checkout",
                    },
                    "annotations": {"summary": "payments provider rejects 30% of charges"},
                },
                {
                    "labels": {
                        "alertname": "CheckoutCertificateExpiry",
                        "severity": "critical",
                        "service": "checkout",
                    },
                    "annotations": {"summary": "certificate renewal pending"},
                },
            ],
            hours=6,
        )
        post_silence(
            am_url,
            {"alertname": "CheckoutCertificateExpiry"},
            days=2,
            comment="renewal ticket OPS-12",
        )
        post_silence(am_url, {"service": "legacy-reports"}, days=30, comment="decommissioning")
        wait_until_settled(f"http://127.0.0.1:{PROMETHEUS_PORT}")
    except BaseException:
        stop()
        raise
    return Component(
        "alerting",
        f"Prometheus 127.0.0.1:{PROMETHEUS_PORT}, Alertmanager 127.0.0.1:{ALERTMANAGER_PORT}, "
        f"runbooks/metrics 127.0.0.1:{SIDE_PORT}",
        stop,
        {},
    )
