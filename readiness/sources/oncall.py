"""Alertmanager and Prometheus as the operations family reads them (read-only).

Only what the on-call, escalation, monitoring and runbook checks need: the running
Alertmanager configuration (``GET /api/v2/status``), Prometheus' alerting rules and the
Alertmanagers it sends to.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from readiness.errors import SourceError
from readiness.rules.operations import MonitoringState
from readiness.rules.operations_oncall import AlertmanagerConfig, ConfigShapeError, parse_config
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient


def alertmanager_config(api: ApiClient) -> AlertmanagerConfig:
    """The configuration Alertmanager runs (``config.original``, re-serialised YAML)."""
    status = api.get_json("/api/v2/status")
    try:
        original = status["config"]["original"]
    except (KeyError, TypeError):
        raise SourceError(api.name, "/api/v2/status has no config.original") from None
    try:
        return parse_config(yaml.safe_load(original))
    except yaml.YAMLError:
        raise SourceError(api.name, "config.original is not YAML") from None
    except (ConfigShapeError, re.error) as exc:
        raise SourceError(api.name, f"cannot read the routing tree: {exc}") from None


def alerting_rules(prometheus: PrometheusClient) -> list[dict[str, Any]]:
    """Every alerting rule Prometheus has loaded (name, annotations, health)."""
    rules: list[dict[str, Any]] = []
    for group in prometheus.rules():
        for rule in group.get("rules", []):
            if rule.get("type") == "alerting":
                rules.append(rule)
    return rules


def monitoring_state(prometheus: PrometheusClient) -> MonitoringState:
    groups = prometheus.rules()
    alerting = 0
    unhealthy: list[str] = []
    for group in groups:
        for rule in group.get("rules", []):
            if rule.get("type") == "alerting":
                alerting += 1
            if rule.get("health") == "err":
                unhealthy.append(str(rule.get("name")))
    body = prometheus.api.get_json("/api/v1/alertmanagers")
    if not isinstance(body, dict) or body.get("status") != "success":
        raise SourceError(prometheus.name, "/api/v1/alertmanagers failed")
    active = tuple(
        str(am.get("url")) for am in (body.get("data") or {}).get("activeAlertmanagers") or ()
    )
    return MonitoringState(alerting, tuple(unhealthy), active)
