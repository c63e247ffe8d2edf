"""Grafana HTTP API (read-only): health, datasources and their health, dashboards, access."""

from __future__ import annotations

from typing import Any

from readiness.errors import SourceError
from readiness.profile.common import Auth, BasicAuth, Endpoint
from readiness.rules.operations_observability import (
    Dashboard,
    DatasourceHealth,
    GrafanaAccess,
    GrafanaState,
)
from readiness.sources.api import ApiClient
from readiness.sources.checklist import get_health
from readiness.sources.run import gather


class GrafanaClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def health(self) -> dict[str, Any]:
        """``GET /api/health``; answers 503 with ``database: failing`` when the DB is down."""
        response = get_health(self.api, "/api/health")
        try:
            body = response.json()
        except ValueError:
            raise SourceError(
                self.name, f"/api/health answered HTTP {response.status_code} without JSON"
            ) from None
        if not isinstance(body, dict):
            raise SourceError(self.name, f"/api/health answered {body!r:.100}")
        return body

    def state(self) -> GrafanaState:
        health = self.health()
        sources = self.api.get_json("/api/datasources")
        if not isinstance(sources, list):
            raise SourceError(self.name, "/api/datasources did not return a list")
        checked = gather(self._datasource_health, sources, max_workers=8)
        results: list[DatasourceHealth] = []
        for item in checked:
            if isinstance(item, Exception):
                raise item
            results.append(item)
        return GrafanaState(
            str(health.get("database", "")), str(health.get("version", "")), tuple(results)
        )

    def _datasource_health(self, ds: dict[str, Any]) -> DatasourceHealth:
        name, kind, uid = str(ds.get("name")), str(ds.get("type")), str(ds.get("uid"))
        response = self.api.get(f"/api/datasources/uid/{uid}/health")
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if response.status_code in (404, 501) or "not implemented" in message.lower():
            return DatasourceHealth(name, kind, "UNKNOWN", message or "no health check")
        status = str(body.get("status", "")) if isinstance(body, dict) else ""
        if response.status_code >= 400 and not status:
            status = "ERROR"
        return DatasourceHealth(name, kind, status or "ERROR", message)

    def dashboards(self) -> list[Dashboard]:
        found = self.api.get_json("/api/search", {"type": "dash-db", "limit": 5000})
        if not isinstance(found, list):
            raise SourceError(self.name, "/api/search did not return a list")
        return [Dashboard(str(d.get("uid", "")), str(d.get("title", ""))) for d in found]

    def access(self, admin_user: str, default_password: str) -> GrafanaAccess:
        """Try the default admin credentials and an anonymous admin call (GET only)."""
        base = self.api.endpoint
        with_default = ApiClient(
            f"{self.name} (default credentials)",
            base.model_copy(
                update={
                    "auth": Auth(basic=BasicAuth(username=admin_user, password=default_password)),
                    "retries": 0,
                }
            ),
        )
        anonymous = ApiClient(
            f"{self.name} (anonymous)", base.model_copy(update={"auth": None, "retries": 0})
        )
        default_status = with_default.get("/api/user").status_code
        anonymous_status = anonymous.get("/api/datasources").status_code
        return GrafanaAccess(default_status == 200, anonymous_status == 200, anonymous_status)


def grafana_client(endpoint: Endpoint) -> GrafanaClient:
    return GrafanaClient(ApiClient("grafana", endpoint))
