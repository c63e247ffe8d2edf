"""A small read-only JSON/HTTP client every live source builds on.

Timeouts on every call, bounded retries on connection errors and 5xx, auth from the
profile (basic or bearer), TLS verified against the system or the profile's CA, and
errors that name the target. Only GET (and HEAD) are ever sent: targets are only read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from readiness.errors import SourceError
from readiness.profile.common import Auth, Endpoint

T = TypeVar("T")
R = TypeVar("R")

RETRY_STATUS = frozenset({502, 503, 504})


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


def new_session(pool_maxsize: int = 16) -> requests.Session:
    """A pooled session for concurrent reads of one target."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "readiness"
    return session


def send(
    name: str,
    endpoint: Endpoint,
    session: requests.Session,
    method: str,
    url: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    retry_statuses: frozenset[int] = RETRY_STATUS,
    **kwargs: Any,
) -> requests.Response:
    """One request with the endpoint's timeout, TLS settings and bounded retries.

    Retries connection errors and ``retry_statuses`` (default 502/503/504) with backoff;
    raises SourceError naming the target. ``verify=`` goes on every request:
    REQUESTS_CA_BUNDLE would override a session's own setting.
    """
    attempts = endpoint.retries + 1
    last = ""
    for attempt in range(attempts):
        try:
            response = session.request(
                method, url, timeout=endpoint.timeout, verify=verify_setting(endpoint), **kwargs
            )
        except requests.exceptions.SSLError as exc:
            raise SourceError(name, f"TLS error talking to {url}: {short_error(exc)}") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = f"cannot reach {url}: {short_error(exc)}"
        else:
            if response.status_code not in retry_statuses:
                return response
            last = f"{url} answered HTTP {response.status_code}"
        if attempt + 1 < attempts:
            sleep(min(0.2 * 2**attempt, 2.0))
    raise SourceError(name, f"{last} (after {attempts} attempts)")


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
        """GET with timeout and bounded retries; raises SourceError naming the target."""
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

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        if response.status_code in (401, 403):
            raise SourceError(
                self.name,
                f"{self.url(path)} refused our credentials (HTTP {response.status_code}); "
                "check the auth settings of this target in the profile",
            )
        if response.status_code >= 400:
            raise SourceError(
                self.name,
                f"{self.url(path)} answered HTTP {response.status_code}: {response.text[:200]}",
            )
        try:
            return response.json()
        except ValueError:
            raise SourceError(self.name, f"{self.url(path)} did not return JSON") from None


def short_error(exc: Exception) -> str:
    text = str(exc)
    # requests nests the real reason deep in a repr; keep the informative tail.
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:300]


def gather(fn: Callable[[T], R], items: Iterable[T], max_workers: int = 16) -> list[R | Exception]:
    """Run ``fn`` over ``items`` concurrently; each result or the exception it raised."""
    items = list(items)
    if not items:
        return []

    def call(item: T) -> R | Exception:
        try:
            return fn(item)
        except Exception as exc:  # returned to the caller, who reports it per target
            return exc

    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(call, items))
