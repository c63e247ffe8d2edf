"""Profile schema of the slo family: SLO specs (inline or files) and the error budget policy."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Endpoint, Model
from readiness.rules.slo import BurnCondition
from readiness.rules.slo_model import parse_duration


def _duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class SliQueries(Model):
    """A ratio SLI: ``good``/``total`` or ``error``/``total`` PromQL using ``{{.window}}``.

    A plain counter selector (``http_requests_total{job="api"}``) is also accepted and read
    as its rate over the window.
    """

    total: str
    good: str | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SliQueries:
        if (self.good is None) == (self.error is None):
            raise ValueError("give exactly one of good or error, beside total")
        return self


class ObjectiveSpec(Model):
    name: str
    target: float = Field(description="percent, e.g. 99.9")
    window: str = "30d"
    sli: SliQueries
    description: str = ""

    _window = field_validator("window")(_duration)


class SloSpec(Model):
    service: str
    objectives: list[ObjectiveSpec]


class Postmortem(Model):
    """Attestation that a rapid burn was analysed: covers burns that began until then."""

    slo: str = Field(description="service/objective")
    reference: str
    covers_until: dt.datetime


class BurnRateAlert(Model):
    """One burn-rate alert condition: ``factor`` x the budget rate over ``long`` (and
    ``short``, for a multiwindow alert), labelled ``severity``. ``page: true`` conditions
    are judged by SLO-BURN-RATE and count as rapid burns; the others by SLO-BURN-TICKET."""

    long: str
    short: str | None = None
    factor: float = Field(gt=0, description="burn rate: 1 spends exactly the budget")
    severity: str
    page: bool = True

    _windows = field_validator("long", "short")(_duration)

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnRateAlert:
        if self.short is not None and parse_duration(self.short) >= parse_duration(self.long):
            raise ValueError(f"short window {self.short} must be shorter than long {self.long}")
        return self


# The Google SRE Workbook's multiwindow, multi-burn-rate alerts ("Alerting on SLOs").
SRE_WORKBOOK = [
    BurnRateAlert(long="1h", short="5m", factor=14.4, severity="critical", page=True),
    BurnRateAlert(long="6h", short="30m", factor=6, severity="critical", page=True),
    BurnRateAlert(long="1d", short="2h", factor=3, severity="warning", page=False),
    BurnRateAlert(long="3d", short="6h", factor=1, severity="warning", page=False),
]


class SloPolicy(Model):
    prometheus: Endpoint | None = None  # default: targets.prometheus
    freeze_below: float = Field(25.0, gt=0, le=100, description="% of budget left")
    emergency_below: float = Field(10.0, gt=0, le=100, description="% of budget left")
    min_data_coverage: float = Field(95.0, ge=0, le=100, description="% of the window")
    require_runbook: bool = True
    runbook_hint: str = "https://runbooks.example.com/<service>/error-budget-burn"
    postmortem_lookback: str | None = None  # default: the SLO window
    postmortems: list[Postmortem] = []
    evaluate_at: dt.datetime | None = None  # default: when the run starts
    concurrency: int = Field(8, ge=1, le=64)
    burn_rate_alerts: list[BurnRateAlert] = Field(default_factory=lambda: list(SRE_WORKBOOK))

    _lookback = field_validator("postmortem_lookback")(_duration)

    def conditions(self) -> tuple[BurnCondition, ...]:
        """The burn-rate alert policy as the SLO rules read it."""
        return tuple(
            BurnCondition("page" if a.page else "ticket", a.factor, a.long, a.short, a.severity)
            for a in self.burn_rate_alerts
        )

    @model_validator(mode="after")
    def _ordered(self) -> SloPolicy:
        if self.emergency_below > self.freeze_below:
            raise ValueError("emergency_below must not exceed freeze_below")
        return self


class SloTargets(Model):
    """Fields of `targets:` this family reads (Prometheus comes from the alerting family)."""


class SloSection(Model):
    """Top-level profile sections this family owns."""

    slos: list[SloSpec] = []
    slo_files: list[str] = []
    slo: SloPolicy = SloPolicy()

    @model_validator(mode="after")
    def _severities_allowed(self) -> SloSection:
        """Burn-rate alerts carry severities the alerting family accepts on rules."""
        alerting = getattr(self, "alerting", None)
        allowed = getattr(alerting, "allowed_severities", None)
        if not allowed:
            return self
        for i, alert in enumerate(self.slo.burn_rate_alerts):
            if alert.severity not in allowed:
                raise ValueError(
                    f"slo.burn_rate_alerts[{i}].severity {alert.severity!r} is not one of "
                    f"alerting.allowed_severities {allowed}"
                )
        if not any(a.page for a in self.slo.burn_rate_alerts):
            raise ValueError("slo.burn_rate_alerts needs at least one condition with page: true")
        return self
