"""Live evidence from HTTP(S) services: responses, TLS handshakes, certificates, latency.

Only GET requests are sent. Every probe has a timeout; a target that cannot be reached
raises :class:`SourceError` naming the service. Results (and errors) are cached for the
whole run in :class:`HttpSource`, so each URL is fetched once however many checks read
it; :meth:`HttpSource.prefetch` runs every probe of every service concurrently with
bounded parallelism, so a run takes as long as its slowest service.

Requests to one origin (address, TLS setting, server name) share kept-alive connections,
at most :data:`HOST_CONNECTIONS` open (and so requests in flight) per origin, and at
most :data:`MAX_IDLE` idle in all (the ones idle the longest are closed): a service costs
a few TCP connections and TLS handshakes, not one per request. A request that must
open a connection counts the connect and handshake in its time; one on a kept-alive
connection does not (as for a browser's later requests). A kept-alive connection the
server has closed meanwhile is replaced once, transparently (GET is idempotent).

TLS is judged from the verified connection the content probes use (certificate,
negotiated version and cipher; the chain verified against the profile's CA or the system
trust store), and from separate handshakes only where that cannot tell: one without
verification and one verifying the chain alone when the verified connection fails (to
see the certificate whatever its state, and whether only the name is wrong), and one per
protocol version below the minimum (TLS 1.0/1.1 attempted with ``SECLEVEL=0`` so the
client can still offer them); TLS 1.2 cipher suites outside the profile's policy are
scanned with as few handshakes as the server's answers allow (``tls_ciphers``). Content
probes verify TLS; when verification fails they are repeated without it only if they
carry no credentials, so a broken certificate is reported by the TLS checks while the
other checks can still look.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import socket
import ssl
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from readiness.errors import OnceCache, SourceError
from readiness.profile.common import Auth
from readiness.profile.http import HttpPolicy, Service
from readiness.snapshot import RecordedCache
from readiness.sources.deadline import Deadline, guard, guarded
from readiness.sources.run import gather, run_context
from readiness.sources.tls_ciphers import CipherScan, local_suites, offer

T = TypeVar("T")

MAX_BODY = 4 * 1024 * 1024
HOST_CONNECTIONS = 8  # kept-alive connections (and requests in flight) per origin
MAX_IDLE = 128  # idle kept-alive connections of all origins together (file descriptors)
LATENCY_PARALLEL = HOST_CONNECTIONS  # concurrent latency samples of one service
CIPHER_SCAN_TIMEOUTS = 3  # a cipher scan's total deadline, in per-request timeouts
USER_AGENT = "readiness"
_REDACTED_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authorization", "cookie"})

#: Protocol versions below each minimum that must be refused.
VERSIONS_BELOW: dict[str, tuple[str, ...]] = {
    "1.2": ("TLSv1", "TLSv1.1"),
    "1.3": ("TLSv1", "TLSv1.1", "TLSv1.2"),
}
_SSL_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
}
# The client cannot even offer the version: this machine's TLS library says no.
_LOCAL_FAILURES = frozenset({"NO_PROTOCOLS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM"})


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True, slots=True)
class Fetch:
    """One GET: status, headers (credential-free), body, timing and TLS facts."""

    url: str
    status: int | None  # None: no answer within the timeout
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # lower-cased names, in order received
    body: bytes = b""
    elapsed_ms: float = 0.0
    timeout_s: float = 0.0
    tls_version: str | None = None
    tls_verified: bool | None = None  # None: plain HTTP or verification turned off
    tls_note: str = ""
    credentials: str = "none"  # what was sent, never the secret itself

    @property
    def timed_out(self) -> bool:
        return self.status is None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def summary(self, *, headers: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "status": self.status if self.status is not None else "timeout",
            "elapsed_ms": round(self.elapsed_ms, 1),
        }
        if self.credentials != "none":
            out["credentials"] = self.credentials
        if self.tls_version:
            out["tls_version"] = self.tls_version
        if self.tls_verified is False:
            out["tls_verified"] = False
            out["tls_note"] = self.tls_note
        if headers:
            out["headers"] = dict(self.headers)
        return out


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    common_name: str
    serial: str
    sha256: str

    def summary(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "subject_alt_names": [*self.dns_names, *self.ip_addresses],
            "serial": self.serial,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class TlsEvidence:
    address: str
    server_name: str
    version: str
    cipher: str
    cert: CertInfo
    chain_verified: bool | None  # None: verification turned off by the profile
    chain_error: str
    trust: str  # what the chain was checked against

    def summary(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "server_name": self.server_name,
            "tls_version": self.version,
            "cipher": self.cipher,
            "trust": self.trust,
            "chain_verified": self.chain_verified,
            **({"chain_error": self.chain_error} if self.chain_error else {}),
            "certificate": self.cert.summary(),
        }


@dataclass(frozen=True, slots=True)
class Handshake:
    """One attempt to connect offering a single protocol version."""

    version: str
    accepted: bool
    negotiated: str | None = None
    detail: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "offered": self.version,
            "accepted": self.accepted,
            **({"negotiated": self.negotiated} if self.negotiated else {}),
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True, slots=True)
class LatencySample:
    url: str
    durations_ms: tuple[float, ...]  # requests that completed
    statuses: tuple[int, ...]
    timeouts: int
    timeout_s: float

    @property
    def requests(self) -> int:
        return len(self.durations_ms) + self.timeouts


@dataclass(frozen=True, slots=True)
class LoginProbe:
    """A default-credential attempt and the anonymous answer of the same path."""

    path: str
    username: str
    anonymous: Fetch
    with_credentials: Fetch


# ------------------------------------------------------------------------- the source


@dataclass(slots=True)
class _Stats:
    requests: int = 0
    handshakes: int = 0  # made for the TLS checks alone (legacy versions, fallbacks)
    connections: int = 0  # opened for requests (and the TLS facts they carry)
    urls: dict[str, int] = field(default_factory=dict)


#: (host, port, TLS context or None, server name): requests that may share a connection
OriginKey = tuple[str, int, ssl.SSLContext | None, str | None]


@dataclass(slots=True, eq=False)
class _Conn:
    """An open connection and the TLS facts of its handshake."""

    http: http.client.HTTPConnection
    tls_version: str | None

    @property
    def sock(self) -> socket.socket:
        sock: socket.socket = self.http.sock
        return sock

    def close(self) -> None:
        self.http.close()


class _Origin:
    """Kept-alive connections to one origin: at most ``size`` in use at once."""

    def __init__(self, size: int):
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.idle: list[_Conn] = []

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            yield

    def take(self) -> _Conn | None:
        with self._lock:
            return self.idle.pop() if self.idle else None

    def give(self, conn: _Conn) -> None:
        with self._lock:
            self.idle.append(conn)

    def remove(self, conn: _Conn) -> None:
        with self._lock:
            self.idle.remove(conn)


def _close_idle(origins: dict[OriginKey, _Origin]) -> None:
    for origin in list(origins.values()):
        while (conn := origin.take()) is not None:
            conn.close()


def _legacy_contexts() -> dict[str, ssl.SSLContext]:
    """Client contexts able to offer one old version each (made once, warnings muted)."""
    contexts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name, version in _SSL_VERSIONS.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = version
            ctx.maximum_version = version
            contexts[name] = ctx
    return contexts


def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class HttpSource:
    """Session-wide, thread-safe access to every configured HTTP service."""

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        clock: Callable[[], float] = time.perf_counter,
        max_idle: int = MAX_IDLE,
    ):
        self.policy = policy
        self._max_idle = max_idle
        self._parked: dict[_Conn, _Origin] = {}  # idle connections, longest idle first
        self._clock = clock
        self._cache = RecordedCache("http-probe", "http")
        self._contexts = OnceCache()
        self._stats_lock = threading.Lock()
        self.stats = _Stats()
        self._origins: dict[OriginKey, _Origin] = {}
        self._untrusted: dict[OriginKey, str] = {}  # verification failed: the reason
        # Kept-alive connections are closed with the source (or at exit).
        self._closer = weakref.finalize(self, _close_idle, self._origins)
        # Built here, in the caller's thread: old versions raise DeprecationWarning.
        self._legacy = _legacy_contexts()
        self._unverified = _unverified_context()
        self._suites = local_suites()

    # ---------------------------------------------------------------- public probes

    def health(self, service: Service) -> Fetch:
        assert service.health is not None
        return self.fetch(service, service.health.path, timeout=service.health.timeout)

    def ready(self, service: Service) -> Fetch:
        assert service.ready is not None
        return self.fetch(service, service.ready.path, timeout=service.ready.timeout)

    def metrics(self, service: Service) -> Fetch:
        assert service.metrics is not None
        return self.fetch(
            service,
            service.metrics.path,
            timeout=service.metrics.timeout,
            auth=service.auth,
        )

    def page(self, service: Service) -> Fetch:
        """The page whose headers are judged."""
        return self.fetch(service, service.headers_path)

    def plain_http(self, service: Service) -> Fetch:
        """The plain-HTTP address, not following redirects."""
        assert service.http_url is not None
        return self._cache.get(
            ("fetch", service.http_url, "none"),
            lambda: self._fetch_url(service, service.http_url or "", None, "none", None, False),
        )

    def fetch(
        self,
        service: Service,
        path: str,
        *,
        timeout: float | None = None,
        auth: Auth | None = None,
        basic: tuple[str, str] | None = None,
        label: str | None = None,
    ) -> Fetch:
        """GET ``path`` of the service once per run (per credentials kind)."""
        url = service.url + path
        creds = label or ("profile credentials" if auth else "none")
        seconds = timeout or service.timeout or self.policy.timeout
        headers = _auth_headers(auth, basic)
        return self._cache.get(
            ("fetch", url, creds, seconds),
            lambda: self._fetch_url(service, url, headers, creds, seconds, auth is not None),
        )

    def default_login(
        self, service: Service, path: str, username: str, password: str
    ) -> LoginProbe:
        anonymous = self.fetch(service, path)
        with_creds = self.fetch(
            service,
            path,
            basic=(username, password),
            label=f"default credentials of user {username!r}",
        )
        return LoginProbe(path, username, anonymous, with_creds)

    def tls(self, service: Service) -> TlsEvidence:
        return self._cache.get(("tls", *self._tls_key(service)), lambda: self._tls(service))

    def legacy_handshakes(self, service: Service, min_version: str) -> list[Handshake]:
        return [
            self._cache.get(
                ("legacy", *self._tls_key(service), version),
                partial(self._legacy_handshake, service, version),
            )
            for version in VERSIONS_BELOW[min_version]
        ]

    def tls12_ciphers(self, service: Service, allowed: tuple[str, ...]) -> CipherScan:
        """The TLS 1.2 suites outside ``allowed`` that the service accepts."""
        return self._cache.get(
            ("ciphers", *self._tls_key(service), allowed),
            partial(self._cipher_scan, service, allowed),
        )

    def latency(self, service: Service, path: str, requests: int) -> LatencySample:
        return self._cache.get(
            ("latency", service.url + path, requests),
            lambda: self._latency(service, path, requests),
        )

    def prefetch(self, jobs: Iterable[Callable[[], object]]) -> None:
        """Run probes concurrently (at most ``policy.concurrency`` at once) to fill the cache.

        Errors stay in the cache and reach the checks that read them.
        """
        gather(lambda job: job(), list(jobs), max_workers=self.policy.concurrency)

    def close(self) -> None:
        """Close the kept-alive connections (probes asked later open new ones)."""
        with self._stats_lock:
            self._parked.clear()
            _close_idle(self._origins)

    # ------------------------------------------------------------------ internals

    def _count(self, url: str, *, handshake: bool = False, connection: bool = False) -> None:
        with self._stats_lock:
            if handshake:
                self.stats.handshakes += 1
            elif connection:
                self.stats.connections += 1
            else:
                self.stats.requests += 1
                self.stats.urls[url] = self.stats.urls.get(url, 0) + 1

    @property
    def idle_connections(self) -> int:
        with self._stats_lock:
            return len(self._parked)

    def _take(self, pool: _Origin) -> _Conn | None:
        """An idle connection of the origin, if it has one."""
        with self._stats_lock:
            conn = pool.take()
            if conn is not None:
                del self._parked[conn]
            return conn

    def _park(self, pool: _Origin, conn: _Conn) -> None:
        """Keep ``conn`` for the origin's next request; past ``max_idle`` idle connections
        in all, the ones idle the longest are closed (an estate of hundreds of services
        must not hold thousands of file descriptors)."""
        closing: list[_Conn] = []
        with self._stats_lock:
            pool.give(conn)
            self._parked[conn] = pool
            while len(self._parked) > self._max_idle:
                old, origin = next(iter(self._parked.items()))
                del self._parked[old]
                origin.remove(old)
                closing.append(old)
        for old in closing:
            old.close()

    def _origin(self, key: OriginKey) -> _Origin:
        with self._stats_lock:
            origin = self._origins.get(key)
            if origin is None:
                origin = self._origins[key] = _Origin(HOST_CONNECTIONS)
            return origin

    @staticmethod
    def _tls_key(service: Service) -> tuple[str, int, str, str | None, bool]:
        return (
            service.host,
            service.port,
            service.tls.server_name or service.host,
            service.ca_file,
            service.verify_tls,
        )

    def _verified_context(self, service: Service) -> ssl.SSLContext | None:
        """A context verifying chain and name, or None when the profile turns it off."""
        if not service.verify_tls:
            return None

        def make() -> ssl.SSLContext:
            try:
                return ssl.create_default_context(cafile=service.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise SourceError(
                    service.name, f"cannot load ca_file {service.ca_file}: {exc}"
                ) from None

        context: ssl.SSLContext | None = self._contexts.get(("verify", service.ca_file), make)
        return context

    def _trust(self, service: Service) -> str:
        if not service.verify_tls:
            return "verification turned off by the profile (verify_tls: false)"
        return f"profile CA {service.ca_file}" if service.ca_file else "system trust store"

    def _connect(
        self,
        service: Service,
        host: str,
        port: int,
        timeout: float,
        ctx: ssl.SSLContext | None,
        server_name: str | None,
    ) -> socket.socket:
        """A TCP (and TLS) connection, or SourceError when the service cannot be reached."""
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
            guard(sock)
        except OSError as exc:
            raise SourceError(
                service.name, f"cannot connect to {host}:{port}: {_os_reason(exc)}"
            ) from None
        if ctx is None:
            return sock
        try:
            return ctx.wrap_socket(sock, server_hostname=server_name)
        except BaseException:
            sock.close()
            raise

    def _fetch_url(
        self,
        service: Service,
        url: str,
        headers: dict[str, str] | None,
        credentials: str,
        timeout: float | None,
        secret: bool,
    ) -> Fetch:
        """GET ``url``; profile credentials (``secret``) never go over an unverified link."""
        seconds = timeout or service.timeout or self.policy.timeout
        parts = urlsplit(url)
        https = parts.scheme == "https"
        verified_ctx = self._verified_context(service) if https else None

        def get(ctx: ssl.SSLContext | None, verified: bool | None, note: str) -> Fetch:
            return self._get(service, url, headers, credentials, seconds, ctx, verified, note)

        if not https:
            return get(None, None, "")
        if verified_ctx is None:
            return get(
                self._unverified,
                None,
                "TLS verification turned off by the profile (verify_tls: false)",
            )
        key = self._origin_key(parts.hostname or "", parts.port or 443, verified_ctx, service)
        reason = self._untrusted.get(key)
        if reason is None:  # not known to fail: verify
            try:
                return get(verified_ctx, True, "")
            except ssl.SSLCertVerificationError as exc:
                reason = exc.verify_message or exc.reason or str(exc)
                with self._stats_lock:
                    self._untrusted[key] = reason
        if secret:
            raise SourceError(
                service.name,
                f"TLS verification of {url} failed ({reason}); credentials are not sent "
                "over an unverified connection",
            )
        return get(
            self._unverified,
            False,
            f"certificate not trusted ({reason}); fetched without verification",
        )

    @staticmethod
    def _origin_key(
        host: str, port: int, ctx: ssl.SSLContext | None, service: Service
    ) -> OriginKey:
        return (host, port, ctx, (service.tls.server_name or host) if ctx else None)

    def _get(
        self,
        service: Service,
        url: str,
        headers: dict[str, str] | None,
        credentials: str,
        timeout: float,
        ctx: ssl.SSLContext | None,
        verified: bool | None,
        note: str,
    ) -> Fetch:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        origin = f"{parts.scheme}://{host}:{port}"
        key = self._origin_key(host, port, ctx, service)
        pool = self._origin(key)
        with pool.slot():  # at most HOST_CONNECTIONS requests in flight to the origin
            if run_context().dead(origin) is not None:  # it timed out before: not asked again
                return Fetch(url=url, status=None, timeout_s=timeout, reason="not asked again")
            self._count(url)
            deadline = Deadline(timeout)
            with guarded(deadline):
                fetch = self._get_within(
                    service, url, key, target, headers, credentials, deadline, verified, note
                )
        if fetch.timed_out:
            run_context().mark_dead(
                origin, service.name, f"{url} did not answer within {timeout:g}s"
            )
        return fetch

    def _open(self, service: Service, key: OriginKey, deadline: Deadline) -> _Conn:
        """A new connection to the origin ``key`` (TLS when it has a context)."""
        host, port, ctx, server_name = key
        timeout = deadline.timeout()
        self._count("", connection=True)
        try:
            sock = self._connect(service, host, port, timeout, ctx, server_name)
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as exc:
            raise SourceError(
                service.name, f"TLS handshake with {host}:{port} failed: {_ssl_reason(exc)}"
            ) from None
        except TimeoutError:
            raise SourceError(
                service.name, f"no TLS handshake with {host}:{port} within {timeout:g}s"
            ) from None
        except OSError as exc:
            raise SourceError(
                service.name, f"TLS handshake with {host}:{port} failed: {_os_reason(exc)}"
            ) from None
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock
        return _Conn(conn, sock.version() if isinstance(sock, ssl.SSLSocket) else None)

    def _get_within(
        self,
        service: Service,
        url: str,
        key: OriginKey,
        target: str,
        headers: dict[str, str] | None,
        credentials: str,
        deadline: Deadline,
        verified: bool | None,
        note: str,
    ) -> Fetch:
        """One GET; the deadline covers connect, handshake, headers and body together.

        A kept-alive connection is used when one is idle; one the server closed meanwhile
        is replaced by a new connection once.
        """
        pool = self._origin(key)
        start = self._clock()
        conn = self._take(pool)
        reused = conn is not None
        if conn is None:
            conn = self._open(service, key, deadline)
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **(headers or {})}
        while True:
            try:
                response, body = _exchange(conn, target, sent, deadline)
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if reused and _stale(exc) and not deadline.expired():
                    reused = False
                    start = self._clock()
                    conn = self._open(service, key, deadline)
                    continue
                if isinstance(exc, TimeoutError) or deadline.expired():
                    return Fetch(
                        url=url,
                        status=None,
                        elapsed_ms=(self._clock() - start) * 1000,
                        timeout_s=deadline.seconds,
                        tls_version=conn.tls_version,
                        tls_verified=verified,
                        tls_note=note,
                        credentials=credentials,
                    )
                raise SourceError(
                    service.name, f"GET {url} failed: {type(exc).__name__}: {exc}"
                ) from None
        elapsed = (self._clock() - start) * 1000
        if response.will_close or not response.isclosed():  # closing, or body left unread
            conn.close()
        else:
            self._park(pool, conn)
        return Fetch(
            url=url,
            status=response.status,
            reason=response.reason,
            headers=tuple(_clean_header(k, v) for k, v in response.getheaders()),
            body=body,
            elapsed_ms=elapsed,
            timeout_s=deadline.seconds,
            tls_version=conn.tls_version,
            tls_verified=verified,
            tls_note=note,
            credentials=credentials,
        )

    def _tls_facts(self, service: Service, key: OriginKey) -> tuple[bytes | None, str, str]:
        """Certificate, version and cipher of a connection the content probes share."""
        pool = self._origin(key)
        with pool.slot():
            conn = self._take(pool)
            if conn is None:
                deadline = Deadline(service.timeout or self.policy.timeout)
                with guarded(deadline):
                    conn = self._open(service, key, deadline)
            sock = conn.sock
            try:
                assert isinstance(sock, ssl.SSLSocket)
                der = sock.getpeercert(binary_form=True)
                version = sock.version() or ""
                cipher = (sock.cipher() or ("", "", 0))[0]
            finally:
                self._park(pool, conn)
        return der, version, cipher

    def _handshake(self, service: Service, ctx: ssl.SSLContext, server_name: str) -> ssl.SSLSocket:
        self._count("", handshake=True)
        timeout = service.timeout or self.policy.timeout
        sock = self._connect(service, service.host, service.port, timeout, ctx, server_name)
        assert isinstance(sock, ssl.SSLSocket)
        return sock

    def _tls(self, service: Service) -> TlsEvidence:
        server_name = service.tls.server_name or service.host
        address = f"{service.host}:{service.port}"
        verifying = self._verified_context(service)
        ctx = verifying or self._unverified
        verified: bool | None = None if verifying is None else True
        error = ""
        key = self._origin_key(service.host, service.port, ctx, service)
        facts = None
        if verifying is None or key not in self._untrusted:
            try:
                facts = self._tls_facts(service, key)
            except ssl.SSLCertVerificationError as exc:
                with self._stats_lock:
                    self._untrusted[key] = exc.verify_message or exc.reason or str(exc)
        if facts is None:  # the certificate as presented, then whether only the name is wrong
            facts = self._unverified_facts(service, server_name, address)
            verified, error = self._chain(service, server_name, address)
        der, version, cipher = facts
        if not der:
            raise SourceError(service.name, f"{address} presented no certificate")
        return TlsEvidence(
            address=address,
            server_name=server_name,
            version=version,
            cipher=cipher,
            cert=parse_certificate(der),
            chain_verified=verified,
            chain_error=error,
            trust=self._trust(service),
        )

    def _unverified_facts(
        self, service: Service, server_name: str, address: str
    ) -> tuple[bytes | None, str, str]:
        try:
            sock = self._handshake(service, self._unverified, server_name)
        except (ssl.SSLError, OSError) as exc:
            raise SourceError(
                service.name, f"TLS handshake with {address} failed: {_reason(exc)}"
            ) from None
        with sock:
            return (
                sock.getpeercert(binary_form=True),
                sock.version() or "",
                (sock.cipher() or ("", "", 0))[0],
            )

    def _chain(self, service: Service, server_name: str, address: str) -> tuple[bool, str]:
        """Whether the chain verifies against the service's trust, the name aside."""
        chain_ctx = self._contexts.get(
            ("chain", service.ca_file), lambda: _chain_only(service.ca_file)
        )
        try:
            self._handshake(service, chain_ctx, server_name).close()
            return True, ""
        except ssl.SSLCertVerificationError as exc:
            return False, exc.verify_message or _ssl_reason(exc)
        except (ssl.SSLError, OSError) as exc:
            raise SourceError(
                service.name, f"TLS handshake with {address} failed: {_reason(exc)}"
            ) from None

    def _legacy_handshake(self, service: Service, version: str) -> Handshake:
        server_name = service.tls.server_name or service.host
        try:
            sock = self._handshake(service, self._legacy[version], server_name)
        except SourceError:
            raise
        except ssl.SSLError as exc:
            if exc.reason in _LOCAL_FAILURES:
                raise SourceError(
                    service.name,
                    f"this machine's TLS library cannot offer {version} "
                    f"({_ssl_reason(exc)}), so whether the server accepts it is unknown",
                ) from None
            return Handshake(version, False, detail=_ssl_reason(exc))
        except TimeoutError:
            return Handshake(version, False, detail="no answer to the handshake")
        except OSError as exc:
            return Handshake(version, False, detail=_os_reason(exc))
        with sock:
            cipher = sock.cipher()
            return Handshake(
                version, True, negotiated=sock.version(), detail=cipher[0] if cipher else ""
            )

    def _cipher_scan(self, service: Service, allowed: tuple[str, ...]) -> CipherScan:
        """Offer every suite outside ``allowed`` at once, drop the one the server picks and
        offer the rest again, until the server refuses; the whole scan has one deadline."""
        server_name = service.tls.server_name or service.host
        address = f"{service.host}:{service.port}"
        timeout = service.timeout or self.policy.timeout
        offered = self._suites.outside(allowed)
        remaining = list(offered)
        accepted: list[str] = []
        refusal = ""
        handshakes = 0
        deadline = Deadline(timeout * CIPHER_SCAN_TIMEOUTS)
        with guarded(deadline):
            while remaining and not deadline.expired():
                handshakes += 1
                try:
                    sock = self._handshake(service, offer(tuple(remaining)), server_name)
                except SourceError:
                    raise
                except (ssl.SSLError, OSError) as exc:
                    if deadline.expired():
                        break
                    refusal = self._refusal(service, address, exc, timeout)
                    break
                with sock:
                    chosen = (sock.cipher() or ("", "", 0))[0]
                if chosen not in remaining:
                    raise SourceError(
                        service.name, f"{address} negotiated {chosen or 'no suite'}, not offered"
                    )
                accepted.append(chosen)
                remaining.remove(chosen)
        return CipherScan(
            address=address,
            offered=offered,
            accepted=tuple(accepted),
            handshakes=handshakes,
            refusal=refusal,
            complete=bool(refusal) or not remaining,
            untested=self._suites.untested,
            library=self._suites.library,
        )

    @staticmethod
    def _refusal(service: Service, address: str, exc: OSError, timeout: float) -> str:
        """How the server refused a TLS 1.2 offer; SourceError when it did not answer or
        the local TLS library could not make the offer."""
        if isinstance(exc, ssl.SSLError) and exc.reason in _LOCAL_FAILURES:
            raise SourceError(
                service.name,
                f"this machine's TLS library cannot offer the TLS 1.2 suites ({_ssl_reason(exc)})",
            ) from None
        if isinstance(exc, TimeoutError):
            raise SourceError(
                service.name, f"no answer to a TLS 1.2 handshake with {address} within {timeout:g}s"
            ) from None
        return _reason(exc)

    def _latency(self, service: Service, path: str, requests: int) -> LatencySample:
        """``requests`` samples of ``path``: the first alone, the rest concurrently, and only
        when the first was answered (a silent target is not sampled again)."""
        seconds = service.timeout or self.policy.timeout
        url = service.url + path

        def sample(_: int) -> Fetch:
            return self._fetch_url(service, url, None, "none", seconds, False)

        fetches = [sample(0)]
        if fetches[0].status is not None and requests > 1:
            rest = gather(sample, range(1, requests), max_workers=LATENCY_PARALLEL)
            for result in rest:
                if isinstance(result, Exception):
                    raise result
                fetches.append(result)
        answered = [f for f in fetches if f.status is not None]
        return LatencySample(
            url,
            tuple(f.elapsed_ms for f in answered),
            tuple(f.status for f in answered if f.status is not None),
            len(fetches) - len(answered),
            seconds,
        )


# ------------------------------------------------------------------------- helpers


def _exchange(
    conn: _Conn, target: str, headers: dict[str, str], deadline: Deadline
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request on ``conn`` and its answer (the body up to the cap), within ``deadline``."""
    sock = conn.http.sock
    guard(sock)  # a kept-alive connection serves this request's deadline too
    if sock is not None:
        sock.settimeout(deadline.timeout())
    conn.http.request("GET", target, headers=headers)
    response = conn.http.getresponse()
    body = response.read(MAX_BODY)
    if deadline.expired():  # cut off by the deadline: headers or body incomplete
        raise TimeoutError
    return response, body


def _stale(exc: BaseException) -> bool:
    """The server closed a kept-alive connection before answering on it."""
    return isinstance(
        exc,
        ConnectionResetError
        | BrokenPipeError
        | ConnectionAbortedError
        | http.client.RemoteDisconnected
        | http.client.BadStatusLine
        | ssl.SSLEOFError
        | ssl.SSLZeroReturnError,
    )


def _chain_only(ca_file: str | None) -> ssl.SSLContext:
    """The service's trust without the name check (the name is judged on its own)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _auth_headers(auth: Auth | None, basic: tuple[str, str] | None) -> dict[str, str] | None:
    if basic is None and auth is not None and auth.basic is not None:
        basic = (auth.basic.username, auth.basic.password)
    if basic is not None:
        token = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if auth is not None and auth.bearer_token:
        return {"Authorization": f"Bearer {auth.bearer_token}"}
    return None


def _clean_header(name: str, value: str) -> tuple[str, str]:
    name = name.lower()
    if name in _REDACTED_HEADERS:
        cookie = value.split("=", 1)[0] if name == "set-cookie" else ""
        return name, f"{cookie}=<redacted>" if cookie else "<redacted>"
    return name, value


def parse_certificate(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        pass
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if cns else ""
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=dns,
        ip_addresses=ips,
        common_name=cn if isinstance(cn, str) else cn.decode(errors="replace"),
        serial=format(cert.serial_number, "x"),
        sha256=hashlib.sha256(der).hexdigest(),
    )


def _ssl_reason(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return exc.verify_message
    if exc.reason:
        return exc.reason.lower().replace("_", " ")
    return str(exc) or type(exc).__name__


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return _ssl_reason(exc)
    if isinstance(exc, OSError):
        return _os_reason(exc)
    return str(exc)


def shared_http_source(policy: HttpPolicy) -> HttpSource:
    """The run's one HttpSource: every family that reads a service's endpoints (http,
    operations health checks) judges the same cached probes, each URL fetched once."""
    source: HttpSource = run_context().once(("http-source",), lambda: HttpSource(policy))
    return source
