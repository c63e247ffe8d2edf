"""Alertmanager API v2 (read-only): the loaded configuration, alerts, silences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from readiness import safeload
from readiness.errors import SourceError
from readiness.rules.alerting_model import AlertmanagerStatus, PromAlert, Silence
from readiness.rules.alerting_routes import ConfigShapeError, parse_config
from readiness.sources.api import ApiClient


class AlertmanagerClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def _list(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self.api.get_json(path, params)
        if not isinstance(body, list):
            raise SourceError(self.name, f"{path} did not return a list")
        return [b for b in body if isinstance(b, dict)]

    def status(self) -> AlertmanagerStatus:
        """``/api/v2/status`` with the loaded configuration parsed into routes and receivers."""
        body = self.api.get_json("/api/v2/status")
        if not isinstance(body, dict):
            raise SourceError(self.name, "/api/v2/status did not return an object")
        original = (body.get("config") or {}).get("original")
        if not original:
            raise SourceError(self.name, "/api/v2/status has no loaded configuration")
        try:
            data = safeload.load_yaml(str(original), "the loaded configuration")
            config = parse_config(data)
        except (safeload.SafeLoadError, ConfigShapeError) as exc:
            raise SourceError(self.name, f"the loaded configuration is unreadable: {exc}") from None
        return AlertmanagerStatus(
            version=str((body.get("versionInfo") or {}).get("version", "")),
            cluster_status=str((body.get("cluster") or {}).get("status", "")),
            uptime=str(body.get("uptime", "")),
            config=config,
        )

    def alerts(self) -> list[PromAlert]:
        """Active, silenced and inhibited alerts (not the resolved ones)."""
        out = []
        for raw in self._list("/api/v2/alerts", {"active": "true", "silenced": "true"}):
            status = raw.get("status") or {}
            out.append(
                PromAlert(
                    labels=dict(raw.get("labels") or {}),
                    state=str(status.get("state", "")),
                    starts_at=str(raw.get("startsAt", "")),
                    silenced_by=tuple(status.get("silencedBy") or ()),
                    inhibited_by=tuple(status.get("inhibitedBy") or ()),
                    summary=str((raw.get("annotations") or {}).get("summary", "")),
                )
            )
        return out

    def silences(self) -> list[Silence]:
        out = []
        for raw in self._list("/api/v2/silences"):
            starts, ends = str(raw.get("startsAt", "")), str(raw.get("endsAt", ""))
            matchers = tuple(_matcher_text(m) for m in raw.get("matchers") or [])
            out.append(
                Silence(
                    id=str(raw.get("id", "")),
                    matchers=matchers,
                    starts_at=starts,
                    ends_at=ends,
                    created_by=str(raw.get("createdBy", "")),
                    comment=str(raw.get("comment", "")),
                    state=str((raw.get("status") or {}).get("state", "")),
                    duration_seconds=_seconds_between(starts, ends),
                )
            )
        return out


def _matcher_text(m: dict[str, Any]) -> str:
    regex, equal = bool(m.get("isRegex")), m.get("isEqual", True) is not False
    op = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}
    return f'{m.get("name", "")}{op[(regex, equal)]}"{m.get("value", "")}"'


def _seconds_between(start: str, end: str) -> float:
    try:
        a = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (b - a).total_seconds()
