"""Prometheus' monitoring state as the operations family reads it (read-only).

Rules come from the alerting family's :meth:`PrometheusClient.rule_set`; this adds the
Alertmanagers Prometheus sends to (``GET /api/v1/alertmanagers``).
"""

from __future__ import annotations

from readiness.errors import SourceError
from readiness.rules.operations import MonitoringState
from readiness.sources.prometheus import PrometheusClient


def monitoring_state(prometheus: PrometheusClient) -> MonitoringState:
    rule_set = prometheus.rule_set()
    unhealthy = tuple(rule.name for rule in rule_set.rules if rule.health == "err")
    body = prometheus.api.get_json("/api/v1/alertmanagers")
    if not isinstance(body, dict) or body.get("status") != "success":
        raise SourceError(prometheus.name, "/api/v1/alertmanagers failed")
    active = tuple(
        str(am.get("url")) for am in (body.get("data") or {}).get("activeAlertmanagers") or ()
    )
    return MonitoringState(len(rule_set.alerts), unhealthy, active)
