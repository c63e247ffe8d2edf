"""Runbook URL reachability: every URL fetched at most once per run, concurrently."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.sources.api import ApiClient
from readiness.sources.run import gather, run_context


@dataclass(frozen=True, slots=True)
class RunbookStatus:
    url: str
    status: int | None  # HTTP status, None when the server could not be reached
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error


class RunbookProber:
    """Fetches runbook URLs concurrently and remembers the answers for the whole run."""

    def __init__(
        self, timeout: float = 5.0, max_workers: int = 32, ca_file: str | None = None
    ) -> None:
        endpoint = Endpoint(
            url="http://runbooks.invalid", timeout=timeout, retries=0, ca_file=ca_file
        )
        self._api = ApiClient("runbooks", endpoint)
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._done: dict[str, RunbookStatus] = {}
        self.fetches = 0

    def probe(self, urls: Iterable[str]) -> dict[str, RunbookStatus]:
        wanted = list(dict.fromkeys(urls))
        with self._lock:
            todo = [u for u in wanted if u not in self._done]
            results = gather(self._fetch, todo, max_workers=self._max_workers)
            for url, result in zip(todo, results, strict=True):
                if isinstance(result, Exception):
                    result = RunbookStatus(url, None, str(result))
                self._done[url] = result
            self.fetches += len(todo)
            return {u: self._done[u] for u in wanted}

    def _fetch(self, url: str) -> RunbookStatus:
        try:
            response = self._api.get(url, allow_redirects=True)
        except SourceError as exc:
            return RunbookStatus(url, None, exc.reason)
        return RunbookStatus(url, response.status_code)


def shared_prober(
    timeout: float = 5.0, max_workers: int = 32, ca_file: str | None = None
) -> RunbookProber:
    """The run's one prober for these TLS settings: every family that checks runbook URLs
    (alerting, operations) asks it, so each URL is fetched once per run."""
    key = ("runbook-prober", ca_file or "", str(timeout), str(max_workers))
    prober: RunbookProber = run_context().once(
        key, lambda: RunbookProber(timeout, max_workers, ca_file)
    )
    return prober
