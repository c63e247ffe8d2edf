"""Prometheus HTTP API (read-only): rules, alerts, targets, queries, TSDB status, flags."""

from __future__ import annotations

from typing import Any

from readiness.errors import SourceError
from readiness.sources.api import ApiClient


class PrometheusClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def _data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        body = self.api.get_json(path, params)
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else body
            raise SourceError(self.name, f"{path} failed: {error}")
        return body.get("data")

    def query(self, promql: str, time: float | None = None) -> list[dict[str, Any]]:
        """Instant query; the result vector (or a one-element list for scalars)."""
        params: dict[str, Any] = {"query": promql}
        if time is not None:
            params["time"] = time
        data = self._data("/api/v1/query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_range(
        self, promql: str, start: float, end: float, step: float
    ) -> list[dict[str, Any]]:
        params = {"query": promql, "start": start, "end": end, "step": step}
        return list(self._data("/api/v1/query_range", params)["result"])

    def rules(self) -> list[dict[str, Any]]:
        return list(self._data("/api/v1/rules")["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._data("/api/v1/alerts")["alerts"])

    def targets(self) -> dict[str, Any]:
        return dict(self._data("/api/v1/targets"))

    def series(self, match: list[str], start: float | None = None) -> list[dict[str, str]]:
        params: dict[str, Any] = {"match[]": match}
        if start is not None:
            params["start"] = start
        return list(self._data("/api/v1/series", params))

    def tsdb_status(self) -> dict[str, Any]:
        return dict(self._data("/api/v1/status/tsdb"))

    def flags(self) -> dict[str, str]:
        return dict(self._data("/api/v1/status/flags"))
