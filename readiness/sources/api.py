"""A small read-only JSON/HTTP client every live source builds on.

Every read has a total deadline (connect, all reads, the body and any retries together),
a size cap on its streamed body, bounded retries on connection errors and 5xx, auth from
the profile (basic or bearer), TLS verified against the system or the profile's CA, and
errors that name the target and the URL (credentials masked). Only GET (and HEAD) are
ever sent: targets are only read.

Per run (:func:`readiness.sources.run.start_run`), JSON answers are cached by URL, query
and credentials, so every family that reads one Prometheus or Alertmanager shares one
answer; a target that ran out of time is not asked again in that run.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from readiness.errors import SourceError
from readiness.profile.common import Auth, Endpoint
from readiness.redact import safe_url
from readiness.sources.deadline import WATCHDOG, Deadline, guard_pool_manager, guarded
from readiness.sources.run import MIB, run_context

RETRY_STATUS = frozenset({502, 503, 504})
CHUNK = 64 * 1024


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"


# ----------------------------------------------------------------------------- helpers


def verify_setting(endpoint: Endpoint) -> bool | str:
    """What to pass as ``verify=``: the profile's CA, or system trust, or off."""
    if not endpoint.verify_tls:
        return False
    return endpoint.ca_file or True


def auth_headers(auth: Auth | None) -> dict[str, str]:
    if auth is not None and auth.bearer_token:
        return {"Authorization": f"Bearer {auth.bearer_token}"}
    return {}


def basic_auth(auth: Auth | None) -> tuple[str, str] | None:
    if auth is not None and auth.basic:
        return (auth.basic.username, auth.basic.password)
    return None


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose connections honour the calling thread's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        guard_pool_manager(self.poolmanager)


def new_session(pool_maxsize: int = 16) -> requests.Session:
    """A pooled session for concurrent reads of one target."""
    session = requests.Session()
    adapter = _GuardedAdapter(pool_connections=4, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "readiness"
    return session


def endpoint_deadline(endpoint: Endpoint) -> Deadline:
    """The target's deadline, never past the run's own (``gate.deadline``)."""
    run = run_context()
    seconds = endpoint.deadline or run.limits.deadline
    if run.run_end is not None:
        seconds = max(min(seconds, run.run_end - time.monotonic()), 0.001)
    return Deadline(seconds)


def read_capped(response: requests.Response, name: str, cap: int, deadline: Deadline) -> bytes:
    """The whole (decoded) body, streamed; SourceError past ``cap`` bytes or the deadline."""
    shown = safe_url(response.url)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise SourceError(
            name, f"{shown} announced {_size(int(declared))}, over the {_size(cap)} cap"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            size += len(chunk)
            if size > cap:
                raise SourceError(name, f"{shown} answered more than the {_size(cap)} cap")
            if deadline.expired():
                raise SourceError(name, _late(shown, deadline))
            chunks.append(chunk)
    except urllib3.exceptions.HTTPError as exc:
        if deadline.expired():
            raise SourceError(name, _late(shown, deadline)) from None
        raise SourceError(
            name,
            f"{shown} broke off its answer (truncated): {short_error(exc)}",
        ) from None
    return b"".join(chunks)


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


def _late(url: str, deadline: Deadline) -> str:
    return (
        f"no complete answer from {url} within the {deadline.seconds:g}s deadline "
        "(set deadline: on this target or limits.deadline in the profile)"
    )


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A finished answer as a snapshot keeps it (credential headers left out)."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, response: requests.Response) -> HttpAnswer:
        kept = tuple(
            (k, v) for k, v in response.headers.items() if k.lower() not in _PRIVATE_HEADERS
        )
        return cls(response.url, response.status_code, kept, response.content)

    def response(self) -> requests.Response:
        response = requests.Response()
        response.url = self.url
        response.status_code = self.status
        response.headers.update(dict(self.headers))
        response._content = self.body
        return response


_PRIVATE_HEADERS = frozenset({"set-cookie", "authorization", "cookie", "proxy-authorization"})


def recorded_response(
    name: str, key: tuple[str, ...], read: Callable[[], requests.Response]
) -> requests.Response:
    """``read()``'s answer, kept in (or served from) an evidence snapshot."""
    from readiness import snapshot

    if snapshot.active() is None:
        return read()
    answer = snapshot.through("http", name, key, lambda: HttpAnswer.of(read()))
    return answer.response()


def _credentials_label(session: requests.Session, kwargs: Mapping[str, Any]) -> str:
    """Which credentials a request carries (kind and user name, never the secret): the
    same URL read anonymously and signed in are two different answers."""
    basic = kwargs.get("auth")
    if isinstance(basic, tuple) and basic:
        return f"basic {basic[0]}"
    headers = {**session.headers, **(kwargs.get("headers") or {})}
    authorization = str(headers.get("Authorization", ""))
    return authorization.split(" ", 1)[0].lower() if authorization else "anonymous"


def send(
    name: str,
    endpoint: Endpoint,
    session: requests.Session,
    method: str,
    url: str,
    **options: Any,
) -> requests.Response:
    """One request within the endpoint's deadline, size cap, TLS settings and retries.

    Retries connection errors and ``retry_statuses`` (default 502/503/504) with backoff
    while time is left; the body is read (streamed, capped) before returning. Raises
    SourceError naming the target and URL. ``verify=`` goes on every request:
    REQUESTS_CA_BUNDLE would override a session's own setting. Options: ``sleep``,
    ``retry_statuses``, ``max_bytes``, ``deadline``, and requests' own (``params``…).
    """
    prepared = requests.Request(method, url, params=options.get("params")).prepare()
    key = (method, str(prepared.url), _credentials_label(session, options))
    return recorded_response(
        name, key, lambda: _send(name, endpoint, session, method, url, **options)
    )


def _send(
    name: str,
    endpoint: Endpoint,
    session: requests.Session,
    method: str,
    url: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    retry_statuses: frozenset[int] = RETRY_STATUS,
    max_bytes: int | None = None,
    deadline: Deadline | None = None,
    **kwargs: Any,
) -> requests.Response:
    shown = safe_url(url)
    if WATCHDOG.aborted:
        raise SourceError(name, f"not read: the run was interrupted before {shown}")
    origin = _origin(url)
    dead = run_context().dead(origin)
    if dead is not None:
        raise SourceError(name, f"not asked again: {dead.reason}")
    deadline = deadline or endpoint_deadline(endpoint)
    cap = max_bytes or (
        int(endpoint.max_body_mb * MIB) if endpoint.max_body_mb else run_context().limits.cap(name)
    )
    attempts = endpoint.retries + 1
    last = ""
    timed_out = False
    with guarded(deadline):
        for attempt in range(attempts):
            timeout = deadline.timeout(endpoint.timeout)
            try:
                response = session.request(
                    method,
                    url,
                    timeout=(timeout, timeout),
                    verify=verify_setting(endpoint),
                    stream=True,
                    **kwargs,
                )
                try:
                    body = read_capped(response, name, cap, deadline)
                finally:
                    response.close()
                if deadline.expired():  # cut off by the deadline: not a real answer
                    raise SourceError(name, _late(shown, deadline))
            except requests.TooManyRedirects:
                raise SourceError(name, f"{shown} redirects in a loop (more than 30)") from None
            except requests.RequestException as exc:
                if deadline.expired():
                    run_context().mark_dead(origin, name, _late(shown, deadline))
                    raise SourceError(name, _late(shown, deadline)) from None
                if isinstance(exc, requests.exceptions.SSLError):
                    raise SourceError(
                        name, f"TLS error talking to {shown}: {short_error(exc)}"
                    ) from None
                last = f"cannot reach {shown}: {short_error(exc)}"
                timed_out = timed_out or isinstance(exc, requests.Timeout)
            except SourceError as exc:
                if deadline.expired():
                    run_context().mark_dead(origin, name, exc.reason)
                raise
            else:
                response._content = body
                if response.status_code not in retry_statuses:
                    return response
                last = f"{shown} answered HTTP {response.status_code}"
            if attempt + 1 < attempts:
                pause = min(0.2 * 2**attempt, 2.0)
                if pause >= deadline.remaining():
                    break
                sleep(pause)
    reason = f"{last} (after {attempt + 1} attempts)"
    if timed_out:  # a silent target is not waited for again in this run
        run_context().mark_dead(origin, name, reason)
    raise SourceError(name, reason)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class ApiClient:
    """Read-only access to one HTTP API. Thread-safe for concurrent GETs."""

    def __init__(
        self, name: str, endpoint: Endpoint, *, sleep: Callable[[float], None] = time.sleep
    ):
        self.name = name
        self.endpoint = endpoint
        self.base = endpoint.url.rstrip("/")
        self._sleep = sleep
        self.session = new_session(pool_maxsize=32)
        self.session.headers.update(auth_headers(endpoint.auth))

    def url(self, path: str) -> str:
        return (
            path if path.startswith(("http://", "https://")) else f"{self.base}/{path.lstrip('/')}"
        )

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        """GET within the deadline and size cap; raises SourceError naming the target."""
        return send(
            self.name,
            self.endpoint,
            self.session,
            "GET",
            self.url(path),
            sleep=self._sleep,
            params=params,
            auth=basic_auth(self.endpoint.auth),
            **kwargs,
        )

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, keep: bool = True
    ) -> Any:
        """A JSON answer, read once per run for every client with the same credentials;
        ``keep=False``: read for one caller and not kept for the run (a large answer its
        caller reduces at once)."""
        if not keep:
            return self._read_json(path, params)
        url = self.url(path)
        query = urlencode(sorted((params or {}).items()), doseq=True)
        key = (
            url,
            query,
            _fingerprint(self.endpoint.auth, verify_setting(self.endpoint), self.endpoint.timeout),
        )
        return run_context().once(key, lambda: self._read_json(path, params))

    def _read_json(self, path: str, params: Mapping[str, Any] | None) -> Any:
        response = self.get(path, params)
        shown = safe_url(self.url(path))
        if response.status_code in (401, 403):
            raise SourceError(
                self.name,
                f"{shown} refused our credentials (HTTP {response.status_code}); "
                "check the auth settings of this target in the profile",
            )
        if response.status_code >= 400:
            raise SourceError(
                self.name,
                f"{shown} answered HTTP {response.status_code}: {_excerpt(response)}",
            )
        return parse_json(self.name, shown, response)


def _excerpt(response: requests.Response) -> str:
    return response.content[:200].decode("utf-8", "replace")


def parse_json(name: str, shown: str, response: requests.Response) -> Any:
    """The body as JSON, or SourceError saying what came instead (HTML, cut short…)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        return json.loads(response.content)
    except RecursionError:
        raise SourceError(name, f"{shown} answered JSON nested too deeply to read") from None
    except ValueError as exc:
        if kind == "text/html" or response.content.lstrip()[:1] == b"<":
            found = "an HTML page"
        elif isinstance(exc, json.JSONDecodeError) and exc.pos >= len(exc.doc.rstrip()):
            found = f"truncated JSON ({len(response.content)} bytes, cut off mid-document)"
        else:
            found = f"invalid JSON ({exc})"
        raise SourceError(name, f"{shown} answered {found}, not the JSON expected") from None


def short_error(exc: Exception) -> str:
    text = re.sub(r" with url: \S+", "", str(exc))  # the caller shows the URL, masked
    for pattern in (r"\[SSL: [^\]]+\][^(]*", r"IncompleteRead\([^)]*\)"):
        found = re.search(pattern, text)
        if found:
            return found.group(0).strip()
    # requests nests the real reason deep in a repr; keep the informative tail.
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:300]
