"""Typed evidence of the alerting family: rules, scrape targets, TSDB status, Alertmanager.

Sources build these from rule files, the Prometheus API and the Alertmanager API; the
rules in ``readiness.rules.alerting*`` judge them. Live rules and file rules share one
model so the same rules judge both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

RuleKind = Literal["alerting", "recording"]

_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
}


def parse_duration(text: str | int | float) -> float:
    """A Prometheus duration (``1h30m``, ``30d``, ``0s``) in seconds; ValueError if invalid."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    if not value:
        raise ValueError("empty duration")
    pos = 0
    total = 0.0
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value) or pos == 0:
        raise ValueError(f"not a duration: {value!r} (expected e.g. 30s, 5m, 1h30m, 30d)")
    return total


def format_duration(seconds: float) -> str:
    """Seconds as a compact Prometheus duration (``90`` -> ``1m30s``)."""
    if seconds <= 0:
        return "0s"
    rest = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alerting or recording rule, from a file or from ``/api/v1/rules``."""

    kind: RuleKind
    name: str
    expr: str
    group: str
    source: str  # the file (file mode) or the Prometheus target name (live)
    line: int | None = None
    for_seconds: float = 0.0
    keep_firing_for_seconds: float = 0.0
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    # live only
    health: str = ""
    last_error: str = ""
    state: str = ""
    active_alerts: tuple[Mapping[str, str], ...] = ()

    @property
    def severity(self) -> str | None:
        return self.labels.get("severity")

    @property
    def where(self) -> str:
        """``file:line group 'g' alert 'X'``: enough to find the rule."""
        loc = f"{self.source}:{self.line}" if self.line else self.source
        kind = "alert" if self.kind == "alerting" else "record"
        return f"{loc} group {self.group!r} {kind} {self.name!r}"


@dataclass(frozen=True, slots=True)
class RuleGroup:
    name: str
    source: str
    rules: tuple[Rule, ...]
    interval_seconds: float = 0.0
    line: int | None = None
    # live only: when it was last evaluated (None: never)
    last_evaluation: str | None = None


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A rule file that cannot be loaded as written, located by file and line."""

    file: str
    message: str
    line: int | None = None
    group: str = ""
    rule: str = ""

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.group:
            parts.append(f"group {self.group!r}")
        if self.rule:
            parts.append(f"rule {self.rule!r}")
        return f"{' '.join(parts)}: {self.message}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule group of one source (a rule file, or one Prometheus server)."""

    source: str
    groups: tuple[RuleGroup, ...]
    problems: tuple[RuleProblem, ...] = ()
    live: bool = False

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for g in self.groups for r in g.rules)

    @property
    def alerts(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == "alerting")


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    scrape_pool: str
    scrape_url: str
    health: str
    labels: Mapping[str, str]
    last_error: str = ""
    last_scrape: str = ""

    @property
    def job(self) -> str:
        return self.labels.get("job", self.scrape_pool)


@dataclass(frozen=True, slots=True)
class MetricCount:
    name: str
    series: int


@dataclass(frozen=True, slots=True)
class TsdbStatus:
    head_series: int
    top_metrics: tuple[MetricCount, ...] = ()
    top_labels: tuple[MetricCount, ...] = ()


@dataclass(frozen=True, slots=True)
class PromAlert:
    """An alert as Alertmanager (or Prometheus) reports it."""

    labels: Mapping[str, str]
    state: str  # active | suppressed | unprocessed (Alertmanager); firing | pending (Prometheus)
    starts_at: str = ""
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    summary: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[str, ...]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str
    state: str
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class AmMatcher:
    name: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


@dataclass(frozen=True, slots=True)
class Route:
    receiver: str | None
    matchers: tuple[AmMatcher, ...] = ()
    continue_: bool = False
    group_by: tuple[str, ...] | None = None
    routes: tuple[Route, ...] = ()
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.matchers:
            return "{}"
        return "{" + ", ".join(str(m) for m in self.matchers) + "}"


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    integrations: tuple[str, ...]  # "pagerduty", "webhook", "email", … (one per config)


@dataclass(frozen=True, slots=True)
class AlertmanagerConfig:
    route: Route
    receivers: Mapping[str, Receiver]
    inhibit_rules: int = 0


@dataclass(frozen=True, slots=True)
class AlertmanagerStatus:
    version: str
    cluster_status: str
    uptime: str
    config: AlertmanagerConfig
