"""Demo HTTPS services on 127.0.0.1:18440-18459, signed by a CA made on the fly.

- ``storefront`` (:18440, plain HTTP :18441): a well-run service. Health and readiness
  JSON, private metrics behind a bearer token, HSTS and every security header, plain
  HTTP redirects to HTTPS, TLS 1.2+ only with Mozilla "intermediate" TLS 1.2 suites, a
  certificate valid for 200 days.
- ``admin-console`` (:18442, plain HTTP :18443): a Grafana-like console with deliberate
  flaws: TLS 1.0/1.1 accepted, every TLS 1.2 suite OpenSSL has (CBC, SHA-1, anonymous
  ECDH) accepted, a certificate that expires in 20 days, no HSTS, no CSP
  or Referrer-Policy, plain HTTP served in clear text, /metrics open to anyone and the
  default admin/admin login accepted.

The CA lives in ``<workdir>/tls/ca.pem`` (the demo profile's ``ca_file``). The test
fixtures start their services with the same pieces (``SiteSpec``, ``serve_https``,
``serve_plain``) on free ports.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from readiness.demo import Component
from readiness.demo.tls import CertFiles, issue, make_ca
from readiness.profile.http import INTERMEDIATE_TLS12_CIPHERS

ORDER = 10
HOST = "127.0.0.1"
STOREFRONT_PORT, STOREFRONT_HTTP_PORT = 18440, 18441
CONSOLE_PORT, CONSOLE_HTTP_PORT = 18442, 18443
#: The demo profile reads it as ${READINESS_DEMO_METRICS_TOKEN:-demo-metrics-token}.
METRICS_TOKEN = "demo-metrics-token"

SECURE_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_METRICS = """# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{{service="{name}",code="200"}} 48213
http_requests_total{{service="{name}",code="500"}} 12
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{{service="{name}",le="0.1"}} 47001
http_request_duration_seconds_bucket{{service="{name}",le="0.5"}} 48190
http_request_duration_seconds_bucket{{service="{name}",le="+Inf"}} 48225
http_request_duration_seconds_sum{{service="{name}"}} 2210.4
http_request_duration_seconds_count{{service="{name}"}} 48225
# HELP process_start_time_seconds Start time of the process.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7639e+09
"""


@dataclass(frozen=True)
class SiteSpec:
    """What a service serves and which TLS versions it speaks."""

    title: str  # the home page's heading
    metrics: str  # the /metrics text
    metrics_token: str | None  # None: /metrics is public
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURE_HEADERS))
    health: tuple[int, dict[str, Any]] = (200, {"status": "ok", "checks": {"database": "up"}})
    ready: tuple[int, dict[str, Any]] = (200, {"status": "ready"})
    admin_open: bool | None = None  # /admin: None no such page, False asks for a login
    accept_default_login: bool = False  # /api/org accepts admin/admin
    delay: float = 0.0  # seconds before every answer
    allow_tls10: bool = False
    only_tls10: bool = False  # a server that speaks nothing newer
    #: TLS 1.2 suites (an OpenSSL cipher string); None: Mozilla "intermediate".
    tls12_ciphers: str | None = None


class _Handler(BaseHTTPRequestHandler):
    spec: SiteSpec
    server_version = "demo"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**self.spec.headers, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: object, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json", extra)

    def do_GET(self) -> None:
        spec = self.spec
        if spec.delay:
            time.sleep(spec.delay)
        path = self.path.split("?", 1)[0]
        auth = self.headers.get("Authorization", "")
        if path == "/":
            self._send(200, f"<h1>{spec.title}</h1>".encode(), "text/html")
        elif path == "/healthz":
            self._json(*spec.health)
        elif path == "/readyz":
            self._json(*spec.ready)
        elif path == "/metrics":
            if spec.metrics_token and auth != f"Bearer {spec.metrics_token}":
                self._json(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
            else:
                self._send(200, spec.metrics.encode(), "text/plain; version=0.0.4")
        elif path == "/admin" and spec.admin_open is not None:
            if spec.admin_open:
                self._send(200, b"<h1>admin console</h1>", "text/html")
            else:
                self._json(401, {"error": "login required"}, {"WWW-Authenticate": "Basic"})
        elif path == "/api/org":
            default = "Basic " + base64.b64encode(b"admin:admin").decode()
            if spec.accept_default_login and auth == default:
                self._json(200, {"id": 1, "name": "Main Org."})
            else:
                self._json(401, {"message": "Unauthorized"})
        else:
            self._json(404, {"error": "not found"})


class _PlainHandler(BaseHTTPRequestHandler):
    redirect_to: str = ""
    title: str = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.redirect_to:
            self.send_response(301)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f"<h1>{self.title} (clear text)</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    """Serves in threads, over TLS when ``tls`` is set; counts the requests it serves."""

    daemon_threads = True
    request_queue_size = 128  # probes connect in bursts; a short backlog drops SYNs
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests served at once
        self.requests = 0

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            self._serve(request, client_address)
            return
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # refused handshake (e.g. an old protocol): nothing to serve
        try:
            self._serve(tls_sock, client_address)
        finally:
            tls_sock.close()

    def _serve(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.in_flight += 1
            self.requests += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._lock:
                self.in_flight -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-answer are normal for probes


def tls_context(
    cert: CertFiles,
    allow_tls10: bool = False,
    only_tls10: bool = False,
    tls12_ciphers: str | None = None,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.cert, cert.key)
    ctx.set_ciphers(tls12_ciphers or ":".join(INTERMEDIATE_TLS12_CIPHERS))
    if allow_tls10 or only_tls10:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers((tls12_ciphers or "ALL") + ":@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            if only_tls10:
                ctx.maximum_version = ssl.TLSVersion.TLSv1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def serve(
    name: str, port: int, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None
) -> Server:
    """Serve ``handler`` on ``HOST:port`` (0: a free port) in a daemon thread."""
    server = Server((HOST, port), handler)
    server.tls = tls
    threading.Thread(target=server.serve_forever, name=f"http-{name}", daemon=True).start()
    return server


def serve_https(name: str, port: int, cert: CertFiles, spec: SiteSpec) -> Server:
    """The site ``spec`` over HTTPS with ``cert``."""
    handler = type(f"Handler_{name}", (_Handler,), {"spec": spec})
    tls = tls_context(cert, spec.allow_tls10, spec.only_tls10, spec.tls12_ciphers)
    return serve(name, port, handler, tls)


def serve_plain(name: str, port: int, redirect_to: str | None, title: str) -> Server:
    """Plain HTTP: a redirect to ``redirect_to``, or ``title`` in clear text when None."""
    attrs = {"redirect_to": redirect_to or "", "title": title}
    return serve(name, port, type(f"Plain_{name}", (_PlainHandler,), attrs), None)


def start(workdir: Path) -> Component:
    tls_dir = workdir / "tls"
    ca = make_ca(tls_dir, name="readiness demo CA", days=400)
    good_cert = issue(ca, tls_dir, "storefront", days=200)
    expiring_cert = issue(ca, tls_dir, "admin-console", days=20)
    storefront = SiteSpec("storefront", _METRICS.format(name="storefront"), METRICS_TOKEN)
    console = SiteSpec(
        "admin-console",
        _METRICS.format(name="admin-console"),
        None,
        headers={"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"},
        accept_default_login=True,
        allow_tls10=True,
    )
    servers: list[Server] = []
    try:
        servers.append(serve_https("storefront", STOREFRONT_PORT, good_cert, storefront))
        servers.append(
            serve_plain(
                "storefront-http",
                STOREFRONT_HTTP_PORT,
                f"https://{HOST}:{STOREFRONT_PORT}",
                "storefront",
            )
        )
        servers.append(serve_https("admin-console", CONSOLE_PORT, expiring_cert, console))
        servers.append(serve_plain("admin-console-http", CONSOLE_HTTP_PORT, None, "admin console"))
    except BaseException:
        _stop(servers)
        raise

    return Component(
        name="https services",
        description=(
            f"storefront https://{HOST}:{STOREFRONT_PORT} (well run), admin-console "
            f"https://{HOST}:{CONSOLE_PORT} (TLS 1.0, default login, open metrics, "
            f"missing headers); CA {ca.cert_file}"
        ),
        stop=lambda: _stop(servers),
    )


def _stop(servers: list[Server]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()
