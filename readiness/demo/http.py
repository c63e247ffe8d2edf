"""Demo HTTPS services on 127.0.0.1:18440-18459, signed by a CA made on the fly.

- ``storefront`` (:18440, plain HTTP :18441): a well-run service. Health and readiness
  JSON, private metrics behind a bearer token, HSTS and every security header, plain
  HTTP redirects to HTTPS, TLS 1.2+ only, a certificate valid for 200 days.
- ``admin-console`` (:18442, plain HTTP :18443): a Grafana-like console with deliberate
  flaws: TLS 1.0/1.1 accepted, a certificate that expires in 20 days, no HSTS, no CSP
  or Referrer-Policy, plain HTTP served in clear text, /metrics open to anyone and the
  default admin/admin login accepted.

The CA lives in ``<workdir>/tls/ca.pem`` (the demo profile's ``ca_file``).
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import warnings
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from readiness.demo import Component
from readiness.demo.tls import CertFiles, issue, make_ca

ORDER = 10
HOST = "127.0.0.1"
STOREFRONT_PORT, STOREFRONT_HTTP_PORT = 18440, 18441
CONSOLE_PORT, CONSOLE_HTTP_PORT = 18442, 18443
#: The demo profile reads it as ${READINESS_DEMO_METRICS_TOKEN:-demo-metrics-token}.
METRICS_TOKEN = "demo-metrics-token"

_SECURE_HEADERS = {
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
class _Site:
    name: str
    headers: dict[str, str]
    metrics_token: str | None
    accept_default_login: bool


class _Handler(BaseHTTPRequestHandler):
    site: _Site
    server_version = "demo"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**self.site.headers, **extra}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: object, **extra: str) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json", extra)

    def do_GET(self) -> None:
        site = self.site
        path = self.path.split("?", 1)[0]
        auth = self.headers.get("Authorization", "")
        if path == "/":
            self._send(200, f"<h1>{site.name}</h1>".encode(), "text/html", {})
        elif path == "/healthz":
            self._json(200, {"status": "ok", "checks": {"database": "up"}})
        elif path == "/readyz":
            self._json(200, {"status": "ready"})
        elif path == "/metrics":
            if site.metrics_token and auth != f"Bearer {site.metrics_token}":
                self._json(401, {"error": "unauthorized"}, **{"WWW-Authenticate": "Bearer"})
            else:
                body = _METRICS.format(name=site.name).encode()
                self._send(200, body, "text/plain; version=0.0.4", {})
        elif path == "/api/org":
            default = "Basic " + base64.b64encode(b"admin:admin").decode()
            if site.accept_default_login and auth == default:
                self._json(200, {"id": 1, "name": "Main Org."})
            else:
                self._json(401, {"message": "Unauthorized"})
        else:
            self._json(404, {"error": "not found"})


class _PlainHandler(BaseHTTPRequestHandler):
    redirect_to: str = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.redirect_to:
            self.send_response(301)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<h1>admin console (clear text)</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # probes connect in bursts; a short backlog drops SYNs
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls_sock, client_address)
        finally:
            tls_sock.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _tls_context(cert: CertFiles, legacy: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.cert, cert.key)
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _serve(port: int, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None) -> _Server:
    server = _Server((HOST, port), handler)
    server.tls = tls
    threading.Thread(target=server.serve_forever, name=f"demo-http-{port}", daemon=True).start()
    return server


def start(workdir: Path) -> Component:
    tls_dir = workdir / "tls"
    ca = make_ca(tls_dir, name="readiness demo CA", days=400)
    good_cert = issue(ca, tls_dir, "storefront", days=200)
    expiring_cert = issue(ca, tls_dir, "admin-console", days=20)
    storefront = _Site("storefront", dict(_SECURE_HEADERS), METRICS_TOKEN, False)
    console = _Site(
        "admin-console",
        {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"},
        None,
        True,
    )
    servers: list[_Server] = []
    try:
        for port, handler, ctx in (
            (
                STOREFRONT_PORT,
                type("StorefrontHandler", (_Handler,), {"site": storefront}),
                _tls_context(good_cert, legacy=False),
            ),
            (
                STOREFRONT_HTTP_PORT,
                type(
                    "StorefrontRedirect",
                    (_PlainHandler,),
                    {"redirect_to": f"https://{HOST}:{STOREFRONT_PORT}"},
                ),
                None,
            ),
            (
                CONSOLE_PORT,
                type("ConsoleHandler", (_Handler,), {"site": console}),
                _tls_context(expiring_cert, legacy=True),
            ),
            (CONSOLE_HTTP_PORT, type("ConsolePlain", (_PlainHandler,), {}), None),
        ):
            servers.append(_serve(port, handler, ctx))
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


def _stop(servers: list[_Server]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()
