"""Profile schema of the alerting family: Prometheus, Alertmanager, rule files, alert policy."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Endpoint, Model
from readiness.rules.alerting_model import parse_duration

ComparisonOp = Literal[">", ">=", "<", "<=", "==", "!="]


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


def _check_optional_regex(value: str | None) -> str | None:
    return value if value is None else _check_regex(value)


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression {value!r}: {exc}") from None
    return value


class Watch(Model):
    """What an alert's expression must watch, e.g. ``up == 0`` or a 5xx ratio above 5 %.

    ``metric`` is a regular expression over metric names. ``selects`` lists label values the
    selector must let through (no matcher on the label lets everything through: ``up == 0``
    covers every job). ``filters`` lists label values an explicit matcher must accept
    (``code=~"5.."`` accepts ``500``); a key may name alternatives: ``code|status``.
    ``op`` and ``threshold``: the rule compares the watched value with a constant and must
    fire at least at ``threshold`` (for ``>`` the rule's constant is at most it; for ``<``
    at least it). A ratio threshold (0.8) also accepts the same in percent (80).
    """

    metric: str
    function: str | None = None
    selects: dict[str, str] = {}
    filters: dict[str, str] = {}
    op: ComparisonOp | None = None
    threshold: float | None = None

    _regexes = field_validator("metric", "function")(_check_optional_regex)

    @model_validator(mode="after")
    def _threshold_needs_op(self) -> Watch:
        if self.threshold is not None and self.op is None:
            raise ValueError("threshold needs op (e.g. op: '>')")
        return self


class RequiredAlert(Model):
    """An alert the release needs, by name, by labels and/or by what it watches.

    ``name`` and label values are regular expressions. With ``per_service: true`` the
    requirement is checked once per service of the profile and ``{service}`` in any value
    is replaced by the service's name.
    """

    enabled: bool = True
    description: str = ""
    name: str | None = None
    labels: dict[str, str] = {}
    watches: list[Watch] = []
    min_for: str | None = None
    max_for: str | None = None
    severity: str | None = None
    per_service: bool = False

    _durations = field_validator("min_for", "max_for")(_check_duration)

    @model_validator(mode="after")
    def _says_something(self) -> RequiredAlert:
        if self.name is None and not self.labels and not self.watches:
            raise ValueError("a required alert needs a name, labels or watches")
        if self.name is not None and "{service}" not in self.name:
            _check_regex(self.name)
        return self


class RoutingRequirement(Model):
    """Where alerts of one severity must end up in Alertmanager.

    ``integrations``: at least one receiver reached must have one of these (``pagerduty``,
    ``opsgenie``, ``webhook``, ``email``, ``slack``…); empty means any real integration.
    ``labels``: extra labels of the test alert walked through the route tree.
    """

    integrations: list[str] = []
    labels: dict[str, str] = {}


class RunbookPolicy(Model):
    required: bool = True
    check_reachable: bool = True
    timeout: float = Field(5.0, gt=0, le=3600)
    max_concurrency: int = Field(32, ge=1, le=256)
    ca_file: str | None = None


class AlertingPolicy(Model):
    required_alerts: dict[str, RequiredAlert] = {}
    allowed_severities: list[str] = ["critical", "warning", "info"]
    critical_severities: list[str] = ["critical"]
    min_for: str = "5m"
    required_annotations: list[str] = ["summary", "description"]
    exempt_alerts: list[str] = ["Watchdog", "InfoInhibitor"]
    runbooks: RunbookPolicy = RunbookPolicy()
    service_labels: list[str] = ["service", "job"]
    exporters: dict[str, str] = {}
    max_head_series: int = Field(10_000_000, ge=1)
    top_metrics: int = Field(10, ge=1, le=100)
    min_retention: str = "30d"
    series_lookback: str = "1h"
    routing: dict[str, RoutingRequirement] = {
        "critical": RoutingRequirement(integrations=["pagerduty", "opsgenie", "webhook"]),
        "warning": RoutingRequirement(),
    }
    escalation_receivers: list[str] = []
    blocking_severities: list[str] = ["critical"]
    max_silence: str = "7d"

    _durations = field_validator("min_for", "min_retention", "series_lookback", "max_silence")(
        _check_duration
    )

    @field_validator("exempt_alerts")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return [_check_regex(v) for v in values]

    @field_validator("exporters")
    @classmethod
    def _exporter_regexes(cls, values: dict[str, str]) -> dict[str, str]:
        for v in values.values():
            _check_regex(v)
        return values


class AlertingTargets(Model):
    """Fields of `targets:` this family reads.

    ``rule_files``: files, directories or globs of Prometheus rule YAML and Kubernetes
    ``PrometheusRule`` manifests, relative to the directory pytest runs in.
    """

    prometheus: Endpoint | None = None
    alertmanager: Endpoint | None = None
    rule_files: list[str] = []


class AlertingSection(Model):
    """Top-level profile sections this family owns."""

    alerting: AlertingPolicy = AlertingPolicy()
