"""Local HTTP servers answering with the documented API shapes of Loki, Grafana, Jaeger
and the OpenTelemetry collector.

These four cannot be installed from the package registries here, so the demo and the
tests serve their recorded response shapes (``operations_api/``, timestamps moved to
"now") and run the real readiness sources against them.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import html
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

RECORDED = Path(__file__).with_name("operations_api")

Answer = tuple[int, str, bytes]  # status, content type, body
Route = Callable[[dict[str, str], dict[str, str]], Answer]  # (query, headers) -> answer


def recorded(name: str) -> Any:
    text = (RECORDED / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


def _json(status: int, body: Any) -> Answer:
    return status, "application/json", json.dumps(body).encode()


def _text(status: int, body: str, kind: str = "text/plain; charset=utf-8") -> Answer:
    return status, kind, body.encode()


class RecordedApiServer:
    """A threaded HTTP server on 127.0.0.1 that answers GETs from a route table."""

    def __init__(
        self,
        name: str,
        routes: dict[str, Route],
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ):
        self.name = name
        self.routes = routes
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                query = {
                    k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()
                }
                server.requests.append(parsed.path)
                route = server.match(parsed.path)
                if route is None:
                    status, kind, body = _text(404, "404 page not found\n")
                else:
                    status, kind, body = route(query, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def match(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        for pattern, route in self.routes.items():
            if pattern.startswith("^") and re.fullmatch(pattern, path):
                return route
        return None

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


# -- Loki --------------------------------------------------------------------------------


@dataclass
class LokiState:
    """What the Loki stand-in holds: recent log lines per service (newest last)."""

    logs: dict[str, list[str]] = field(default_factory=dict)
    ready: bool = True
    retention_enabled: bool = True
    retention_period: str = "744h"
    label: str = "service"


def loki_routes(state: LokiState) -> dict[str, Route]:
    selector = re.compile(r'\{\s*(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*\}')

    def ready(q: dict[str, str], h: dict[str, str]) -> Answer:
        if state.ready:
            return _text(200, "ready\n")
        return _text(503, "Ingester not ready: waiting for 15s after being ready\n")

    def query_range(q: dict[str, str], h: dict[str, str]) -> Answer:
        match = selector.fullmatch(q.get("query", "").strip())
        if match is None:
            return _text(400, "parse error : syntax error: unexpected IDENTIFIER\n")
        label, value = match.group(1), match.group(2)
        end = int(q.get("end", time.time_ns()))
        start = int(q.get("start", end - 3600 * 10**9))
        limit = int(q.get("limit", 100))
        body = recorded("loki_query_range.json")
        template = body["data"]["result"][0]
        lines = state.logs.get(value, []) if label == state.label else []
        stamps = [end - (len(lines) - i) * 10**9 for i in range(len(lines))]
        values = [[str(t), line] for t, line in zip(stamps, lines, strict=True) if t >= start]
        values = sorted(values, key=lambda v: int(v[0]), reverse=True)[:limit]
        result = []
        if values:
            stream = copy.deepcopy(template)
            stream["stream"] = {**template["stream"], label: value}
            stream["values"] = values
            result.append(stream)
        body["data"]["result"] = result
        body["data"]["stats"]["summary"]["totalEntriesReturned"] = len(values)
        return _json(200, body)

    def config(q: dict[str, str], h: dict[str, str]) -> Answer:
        text = str(recorded("loki_config.yaml"))
        text = text.replace(
            "retention_enabled: true", f"retention_enabled: {str(state.retention_enabled).lower()}"
        ).replace("retention_period: 744h", f"retention_period: {state.retention_period}")
        return _text(200, text, "text/plain; charset=utf-8")

    return {"/ready": ready, "/loki/api/v1/query_range": query_range, "/config": config}


# -- Grafana -----------------------------------------------------------------------------


@dataclass
class GrafanaState:
    admin_password: str = "s3cret-admin"
    api_token: str = "glsa_demo_token"
    database: str = "ok"
    failing_datasources: set[str] = field(default_factory=set)
    dashboards: list[dict[str, Any]] | None = None  # None: the recorded ones
    anonymous_admin: bool = False


def grafana_routes(state: GrafanaState) -> dict[str, Route]:
    def who(h: dict[str, str]) -> str | None:
        """The authenticated user, or None."""
        auth = h.get("Authorization", "")
        if auth == f"Bearer {state.api_token}":
            return "service-account"
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if user == "admin" and password == state.admin_password:
                return "admin"
        return None

    def authorized(route: Route) -> Route:
        def guarded(q: dict[str, str], h: dict[str, str]) -> Answer:
            if who(h) is None and not (state.anonymous_admin and "Authorization" not in h):
                return _json(401, recorded("grafana_unauthorized.json"))
            return route(q, h)

        return guarded

    def health(q: dict[str, str], h: dict[str, str]) -> Answer:
        body = {**recorded("grafana_health.json"), "database": state.database}
        return _json(200 if state.database == "ok" else 503, body)

    def datasources(q: dict[str, str], h: dict[str, str]) -> Answer:
        return _json(200, recorded("grafana_datasources.json"))

    def ds_health(q: dict[str, str], h: dict[str, str], uid: str) -> Answer:
        known = {d["uid"] for d in recorded("grafana_datasources.json")}
        if uid not in known:
            return _json(404, {"message": "Data source not found"})
        if uid in state.failing_datasources:
            return _json(400, recorded("grafana_datasource_health_error.json"))
        return _json(200, recorded("grafana_datasource_health_ok.json"))

    def search(q: dict[str, str], h: dict[str, str]) -> Answer:
        found = recorded("grafana_search.json") if state.dashboards is None else state.dashboards
        return _json(200, found)

    def user(q: dict[str, str], h: dict[str, str]) -> Answer:
        if who(h) == "admin":
            return _json(200, recorded("grafana_user.json"))
        return _json(401, recorded("grafana_unauthorized.json"))

    routes: dict[str, Route] = {
        "/api/health": health,
        "/api/datasources": authorized(datasources),
        "/api/search": authorized(search),
        "/api/user": user,
    }
    uids = [d["uid"] for d in recorded("grafana_datasources.json")]
    for uid in [*uids, "missing"]:
        routes[f"/api/datasources/uid/{uid}/health"] = authorized(_bind(ds_health, uid))
    return routes


# -- Jaeger ------------------------------------------------------------------------------


@dataclass
class JaegerState:
    """Services Jaeger knows and, per service, how many recent traces it holds."""

    traces: dict[str, int] = field(default_factory=dict)
    age_seconds: float = 60.0  # how long ago the traces started


def jaeger_routes(state: JaegerState) -> dict[str, Route]:
    def services(q: dict[str, str], h: dict[str, str]) -> Answer:
        body = recorded("jaeger_services.json")
        body["data"] = sorted(state.traces)
        body["total"] = len(body["data"])
        return _json(200, body)

    def traces(q: dict[str, str], h: dict[str, str]) -> Answer:
        service = q.get("service", "")
        if not service:
            return _json(
                400,
                {
                    "data": None,
                    "total": 0,
                    "limit": 0,
                    "offset": 0,
                    "errors": [{"code": 400, "msg": "parameter 'service' is required"}],
                },
            )
        body = recorded("jaeger_traces.json")
        template = body["data"][0]
        started = int((time.time() - state.age_seconds) * 1_000_000)
        start = int(q.get("start", 0))
        end = int(q.get("end", time.time() * 1_000_000))
        out = []
        if start <= started <= end:
            for i in range(min(state.traces.get(service, 0), int(q.get("limit", 20)))):
                trace = copy.deepcopy(template)
                trace["traceID"] = f"{i:032x}"
                for span in trace["spans"]:
                    span["traceID"] = trace["traceID"]
                    span["startTime"] = started
                trace["processes"]["p1"]["serviceName"] = service
                out.append(trace)
        body["data"] = out
        return _json(200, body)

    return {"/api/services": services, "/api/traces": traces}


# -- OpenTelemetry collector -------------------------------------------------------------


@dataclass
class CollectorState:
    available: bool = True


def collector_routes(state: CollectorState) -> dict[str, Route]:
    def health(q: dict[str, str], h: dict[str, str]) -> Answer:
        if state.available:
            return _json(200, recorded("otel_health_ok.json"))
        return _json(503, recorded("otel_health_unavailable.json"))

    return {"/": health}


def static_files(directory: Path) -> dict[str, Route]:
    """Serve the files of a directory (runbooks published over HTTP)."""

    def serve(q: dict[str, str], h: dict[str, str], path: Path) -> Answer:
        if path.is_file():
            return _text(200, path.read_text(encoding="utf-8"), "text/markdown; charset=utf-8")
        return _text(404, "404 page not found\n")

    routes: dict[str, Route] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            rel = path.relative_to(directory).as_posix()
            routes[f"/{rel}"] = _bind(serve, path)
    return routes


# -- S3 (ListObjectsV2) -------------------------------------------------------------------


@dataclass
class S3State:
    """A bucket of the S3 stand-in: its objects and who may list it."""

    bucket: str
    region: str
    objects: dict[str, tuple[dt.datetime, int]] = field(default_factory=dict)  # key: time, size
    #: (access key id, secret access key) whose SigV4 signatures are accepted; None: anyone.
    credentials: tuple[str, str] | None = None
    page_size: int = 1000


def _s3_error(status: int, code: str, message: str, resource: str) -> Answer:
    text = str(recorded("s3_error.xml"))
    for tag, value in (("Code", code), ("Message", message), ("Resource", resource)):
        text = re.sub(f"<{tag}>.*?</{tag}>", f"<{tag}>{html.escape(value)}</{tag}>", text)
    return status, "application/xml", text.encode()


def _set(text: str, tag: str, value: str) -> str:
    """The element ``tag`` of a recorded document set to ``value`` (``<Tag/>`` too)."""
    element = f"<{tag}>{html.escape(value, quote=False)}</{tag}>"
    return re.sub(f"<{tag}>.*?</{tag}>|<{tag}/>", lambda _: element, text, count=1)


def _list_page(state: S3State, prefix: str, keys: list[str], token: str | None) -> bytes:
    """A recorded ListObjectsV2 answer (truncated or last page) carrying ``keys``."""
    text = str(recorded("s3_list_objects_v2_truncated.xml" if token else "s3_list_objects_v2.xml"))
    block = re.search(r"[ \t]*<Contents>.*?</Contents>\n", text, re.S)
    assert block is not None
    entries = []
    for key in keys:
        when, size = state.objects[key]
        entry = _set(block.group(0), "Key", key)
        entry = _set(entry, "LastModified", when.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        entry = _set(entry, "Size", str(size))
        etag = hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
        entry = _set(entry, "ETag", f'"{etag}"')
        entries.append(entry)
    text = text[: block.start()] + "".join(entries) + text[block.end() :]
    text = _set(_set(text, "Name", state.bucket), "Prefix", prefix)
    text = _set(_set(text, "KeyCount", str(len(keys))), "MaxKeys", str(state.page_size))
    if token:
        text = _set(text, "NextContinuationToken", token)
    return text.encode()


def s3_routes(state: S3State) -> dict[str, Route]:
    """``GET /BUCKET?list-type=2`` (path style) over the recorded documents, SigV4-checked."""
    from readiness.profile.operations import S3Credentials
    from readiness.sources.s3 import sign

    resource = f"/{state.bucket}"

    def signed_by_owner(q: dict[str, str], h: dict[str, str]) -> bool:
        if state.credentials is None:
            return True
        try:
            at = dt.datetime.strptime(h.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ")
        except ValueError:
            return False
        key_id, secret = state.credentials
        creds = S3Credentials(
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=h.get("x-amz-security-token"),
        )
        want = sign(creds, state.region, h.get("host", ""), resource, q, at.replace(tzinfo=dt.UTC))
        return h.get("authorization") == want["Authorization"]

    def list_objects(q: dict[str, str], headers: dict[str, str]) -> Answer:
        h = {k.lower(): v for k, v in headers.items()}
        if state.credentials is not None and not h.get("authorization"):
            return _s3_error(403, "AccessDenied", "Access Denied", resource)
        if not signed_by_owner(q, h):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
                resource,
            )
        if q.get("list-type") != "2":
            return _s3_error(400, "InvalidArgument", "only ListObjectsV2 is recorded", resource)
        prefix = q.get("prefix", "")
        keys = sorted(k for k in state.objects if k.startswith(prefix))
        start = int(q["continuation-token"]) if q.get("continuation-token", "").isdigit() else 0
        page = keys[start : start + state.page_size]
        end = start + len(page)
        token = str(end) if end < len(keys) else None
        return 200, "application/xml", _list_page(state, prefix, page, token)

    return {resource: list_objects}


def _bind(fn: Callable[[dict[str, str], dict[str, str], Any], Answer], arg: Any) -> Route:
    def route(q: dict[str, str], h: dict[str, str]) -> Answer:
        return fn(q, h, arg)

    return route
