"""Jaeger query API (read-only): known services and recent traces."""

from __future__ import annotations

import datetime as dt
from typing import Any

from readiness.errors import SourceError
from readiness.rules.operations_observability import ServiceTraces
from readiness.sources.api import ApiClient


class JaegerClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def services(self) -> tuple[str, ...]:
        return tuple(str(s) for s in self._data("/api/services", None) or ())

    def traces(
        self, service: str, lookback_minutes: int, now: dt.datetime, known: tuple[str, ...]
    ) -> ServiceTraces:
        if service not in known:
            return ServiceTraces(service, False, known, 0, lookback_minutes)
        end = int(now.timestamp() * 1_000_000)
        start = end - lookback_minutes * 60 * 1_000_000
        data = self._data(
            "/api/traces", {"service": service, "start": start, "end": end, "limit": 20}
        )
        return ServiceTraces(service, True, known, len(data or ()), lookback_minutes)

    def _data(self, path: str, params: dict[str, Any] | None) -> Any:
        body = self.api.get_json(path, params)
        if not isinstance(body, dict) or "data" not in body:
            raise SourceError(self.name, f"{path} did not return a Jaeger answer: {body!r:.200}")
        if body.get("errors"):
            raise SourceError(self.name, f"{path} answered errors: {body['errors']!r:.300}")
        return body["data"]
