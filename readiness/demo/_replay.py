"""What the recorded-API servers share (the Kubernetes API and the CI APIs): a threaded
HTTP server on 127.0.0.1, optionally TLS, that answers GETs from its ``respond`` method,
answers 401 without its bearer token, refuses every write, and counts requests by path.
"""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


class ReplayHandler(BaseHTTPRequestHandler):
    """GET: 401 without the server's token, else the server's answer; writes: 405."""

    server: ReplayServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send(self, code: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        srv.count(url.path)
        srv.before_answer()
        scheme, _, credential = (self.headers.get("Authorization") or "").partition(" ")
        if srv.token is not None and (scheme.lower() != "bearer" or credential != srv.token):
            self.send(*srv.unauthorized(url.path))
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.send(*srv.answer(url.path, query))

    def _refuse(self) -> None:
        self.send(*self.server.refused())

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse


class ReplayServer(ThreadingHTTPServer):
    """Subclasses answer with :meth:`answer`, :meth:`unauthorized` and :meth:`refused`:
    (status, body, headers)."""

    daemon_threads = True
    allow_reuse_address = True
    thread_name = "replay"

    def __init__(
        self, port: int = 0, token: str | None = None, cert: tuple[Path, Path] | None = None
    ):
        super().__init__(("127.0.0.1", port), ReplayHandler)
        self.token = token
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.scheme = "http"
        if cert is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def count(self, path: str) -> None:
        with self._lock:
            self.requests[path] += 1

    def before_answer(self) -> None:
        """Called for every GET before it is answered (e.g. injected latency)."""

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, Mapping[str, str]]:
        raise NotImplementedError

    def unauthorized(self, path: str) -> tuple[int, bytes, Mapping[str, str]]:
        raise NotImplementedError

    def refused(self) -> tuple[int, bytes, Mapping[str, str]]:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self.serve_forever, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)
