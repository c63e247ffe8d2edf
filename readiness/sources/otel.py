"""The OpenTelemetry collector's health_check extension (read-only)."""

from __future__ import annotations

from readiness.rules.operations_observability import HealthAnswer
from readiness.sources.api import ApiClient
from readiness.sources.checklist import get_health


def collector_health(api: ApiClient) -> HealthAnswer:
    """``GET /`` of the health_check extension: ``{"status": "Server available", ...}``."""
    response = get_health(api, "/")
    try:
        body = response.json()
        status = str(body.get("status", "")) if isinstance(body, dict) else ""
    except ValueError:
        status = response.text[:100]
    return HealthAnswer(response.status_code, status)
