"""Loki HTTP API (read-only): readiness, recent log lines per service, retention config."""

from __future__ import annotations

import datetime as dt
from typing import Any

from readiness import safeload
from readiness.errors import SourceError
from readiness.redact import safe_url
from readiness.rules.operations_observability import LokiRetention, ServiceLogs
from readiness.sources.api import ApiClient
from readiness.sources.checklist import get_health


class LokiClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def ready(self) -> tuple[bool, str]:
        """``GET /ready``: Loki answers 200 ``ready`` once its components have started."""
        response = get_health(self.api, "/ready")
        return response.status_code == 200, f"HTTP {response.status_code}: {response.text[:200]}"

    def recent_logs(
        self, label: str, service: str, lookback_minutes: int, limit: int, now: dt.datetime
    ) -> ServiceLogs:
        end = int(now.timestamp() * 1e9)
        start = end - lookback_minutes * 60 * 1_000_000_000
        value = service.replace('"', '\\"')
        selector = f'{{{label}="{value}"}}'
        body = self.api.get_json(
            "/loki/api/v1/query_range",
            {
                "query": selector,
                "start": start,
                "end": end,
                "limit": limit,
                "direction": "backward",
            },
        )
        result = _data(self.name, body, "streams")
        entries: list[tuple[int, str]] = []
        for stream in result:
            for stamp, line in stream.get("values", []):
                entries.append((int(stamp), str(line)))
        entries.sort(reverse=True)
        entries = entries[:limit]
        newest = dt.datetime.fromtimestamp(entries[0][0] / 1e9, dt.UTC) if entries else None
        return ServiceLogs(service, lookback_minutes, tuple(line for _, line in entries), newest)

    def retention(self) -> LokiRetention:
        """From the running configuration (``GET /config``, YAML)."""
        response = self.api.get("/config")
        if response.status_code != 200:
            raise SourceError(
                self.name, f"{self.api.url('/config')} answered HTTP {response.status_code}"
            )
        try:
            config = safeload.load_yaml(response.text, safe_url(self.api.url("/config")))
        except safeload.SafeLoadError as exc:
            raise SourceError(self.name, f"/config did not return readable YAML: {exc}") from None
        if not isinstance(config, dict):
            raise SourceError(self.name, "/config did not return a configuration mapping")
        compactor = config.get("compactor") or {}
        limits = config.get("limits_config") or {}
        return LokiRetention(
            bool(compactor.get("retention_enabled", False)),
            str(limits.get("retention_period", "0s")),
        )


def _data(name: str, body: Any, result_type: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise SourceError(name, f"query failed: {body!r:.200}")
    data = body.get("data") or {}
    if data.get("resultType") != result_type:
        raise SourceError(name, f"expected {result_type}, got {data.get('resultType')!r}")
    return list(data.get("result") or [])
