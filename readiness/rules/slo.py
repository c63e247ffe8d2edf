"""SLO maths and judgement: attainment, error budget, policy, burn rates (pure, no I/O).

Burn-rate conditions default to the Google SRE Workbook, "Alerting on SLOs", multiwindow
multi-burn-rate alerts: page at 14.4x over 1h and 5m or 6x over 6h and 30m; ticket at
3x over 1d and 2h or 1x over 3d and 6h. The profile may replace them (``slo.burn_rate_alerts``),
single-window conditions included. Field names follow slo-generator's budget report.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from readiness.findings import Finding
from readiness.rules.slo_model import Objective, format_duration, parse_duration

PolicyState = Literal["ok", "freeze", "emergency", "exhausted"]
ReleaseKind = Literal["feature", "fix"]


Urgency = Literal["page", "ticket"]


@dataclass(frozen=True, slots=True)
class BurnCondition:
    """Alert when the error budget burns faster than ``factor`` over ``long`` and ``short``.

    ``urgency`` says which check judges it (page: SLO-BURN-RATE and the post-mortem rule;
    ticket: SLO-BURN-TICKET); ``severity`` is the label the suggested alert carries.
    Without ``short`` the condition is single-window.
    """

    urgency: Urgency
    factor: float
    long: str
    short: str | None = None
    severity: str = ""

    @property
    def label(self) -> str:
        windows = f"{self.long} and {self.short}" if self.short else self.long
        return f"{self.urgency} {self.factor:g}x over {windows}"

    @property
    def windows(self) -> tuple[str, ...]:
        return (self.long, self.short) if self.short else (self.long,)

    @property
    def severity_label(self) -> str:
        return self.severity or ("critical" if self.urgency == "page" else "warning")


CONDITIONS: tuple[BurnCondition, ...] = (
    BurnCondition("page", 14.4, "1h", "5m", "critical"),
    BurnCondition("page", 6.0, "6h", "30m", "critical"),
    BurnCondition("ticket", 3.0, "1d", "2h", "warning"),
    BurnCondition("ticket", 1.0, "3d", "6h", "warning"),
)


def windows_of(
    conditions: Sequence[BurnCondition], urgency: Urgency | None = None
) -> tuple[str, ...]:
    """The distinct windows the conditions read, shortest first."""
    found = {w for c in conditions if urgency in (None, c.urgency) for w in c.windows}
    return tuple(sorted(found, key=parse_duration))


BURN_WINDOWS: tuple[str, ...] = windows_of(CONDITIONS)


@dataclass(frozen=True, slots=True)
class DailyPoint:
    """One day of the window: bad and total events (or rates: only their ratio matters)."""

    end: float  # unix seconds, end of the day
    bad: float
    total: float


@dataclass(frozen=True, slots=True)
class Measurement:
    """What Prometheus said about one objective at ``at`` (typed evidence, replayable)."""

    objective: Objective
    at: float
    error_ratio: float  # over the whole window: bad events / all events (or bad slices)
    window_error_ratios: Mapping[str, float | None]  # per burn window; None = no events
    coverage: float  # fraction of the window's steps with SLI data
    coverage_step: int  # seconds
    retention: int | None  # seconds the Prometheus keeps, None if unknown
    daily: tuple[DailyPoint, ...] = ()
    history_step: int = 300
    # The page windows' error ratios over the post-mortem look-back, at least at every
    # time that decides an episode (see readiness.sources.slo_prometheus.burn_history).
    history: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Budget:
    target: float
    attainment: float
    error_budget: float  # 1 - target
    consumed: float  # share of the budget spent (may exceed 1)
    remaining: float  # 1 - consumed (negative when overspent)
    minutes: float  # the budget in minutes of full outage over the window
    remaining_minutes: float
    error_minutes: float

    def as_dict(self) -> dict[str, float]:
        return {
            "sli_measurement": round(self.attainment, 8),
            "slo_target": self.target,
            "gap": round(self.attainment - self.target, 8),
            "error_budget_target": round(self.error_budget, 8),
            "error_budget_consumed": round(self.consumed, 6),
            "error_budget_remaining": round(self.remaining, 6),
            "error_budget_remaining_percent": round(self.remaining * 100, 3),
            "error_budget_minutes": round(self.minutes, 3),
            "error_budget_remaining_minutes": round(self.remaining_minutes, 3),
            "error_minutes": round(self.error_minutes, 3),
        }


def budget_of(objective: Objective, error_ratio: float) -> Budget:
    budget = objective.budget
    consumed = error_ratio / budget
    minutes = budget * objective.window / 60
    return Budget(
        target=objective.target,
        attainment=1.0 - error_ratio,
        error_budget=budget,
        consumed=consumed,
        remaining=1.0 - consumed,
        minutes=minutes,
        remaining_minutes=(1.0 - consumed) * minutes,
        error_minutes=consumed * minutes,
    )


def burn_rates(objective: Objective, ratios: Mapping[str, float | None]) -> dict[str, float | None]:
    """Error ratio per window divided by the budget: 1.0 spends exactly the budget."""
    return {w: (None if r is None else r / objective.budget) for w, r in ratios.items()}


def policy_state(remaining: float, freeze_below: float, emergency_below: float) -> PolicyState:
    """Budget remaining (ratio) to the policy state; thresholds are ratios (0.25, 0.10)."""
    if remaining <= 0:
        return "exhausted"
    if remaining < emergency_below:
        return "emergency"
    if remaining < freeze_below:
        return "freeze"
    return "ok"


def _pct(value: float) -> str:
    return f"{value * 100:.4g} %"


def attainment_findings(objective: Objective, budget: Budget) -> list[Finding]:
    if budget.attainment >= objective.target:
        return []
    return [
        Finding(
            f"SLO {objective.id} attains {_pct(budget.attainment)} over {objective.window_text}, "
            f"below its target",
            expected=f">= {_pct(objective.target)} over {objective.window_text}",
            found=f"{_pct(budget.attainment)} ({budget.error_minutes:.1f} error minutes of "
            f"{budget.minutes:.1f} allowed)",
            fix="stop the burn (roll back, fix the cause), then wait for the window to recover",
        )
    ]


def release_blocked(state: PolicyState, kind: ReleaseKind) -> bool:
    return (
        state == "exhausted"
        or (state == "emergency" and kind != "fix")
        or (state == "freeze" and kind == "feature")
    )


def release_findings(
    objective: Objective,
    budget: Budget,
    state: PolicyState,
    kind: ReleaseKind,
    freeze_below: float,
    emergency_below: float,
) -> list[Finding]:
    """The error budget policy: what this state allows for a release of this kind."""
    left = f"{_pct(budget.remaining)} of the error budget left ({budget.remaining_minutes:.1f} min)"
    if state == "exhausted":
        return [
            Finding(
                f"SLO {objective.id} has exhausted its error budget: every release is blocked",
                expected="error budget remaining > 0",
                found=left,
                fix="only a change that restores reliability may ship, under an approved "
                "waiver; wait until the window recovers budget",
            )
        ]
    if state == "emergency" and kind != "fix":
        return [
            Finding(
                f"SLO {objective.id} is in budget emergency: only fix releases may ship, "
                f"this is a {kind} release",
                expected=f"budget remaining >= {_pct(emergency_below)}, or release.kind: fix",
                found=left,
                fix="ship only reliability fixes (release.kind: fix) until the budget recovers",
            )
        ]
    if state == "freeze" and kind == "feature":
        return [
            Finding(
                f"SLO {objective.id} is in feature freeze: feature releases are blocked",
                expected=f"budget remaining >= {_pct(freeze_below)}, or release.kind: fix",
                found=left,
                fix="release fixes only (release.kind: fix) until the budget is above the "
                "freeze threshold",
            )
        ]
    return []


def budget_level_findings(
    objective: Objective,
    budget: Budget,
    state: PolicyState,
    kind: ReleaseKind,
    freeze_below: float,
) -> list[Finding]:
    """A warning whenever the budget is below the freeze threshold, whatever the release."""
    if state == "ok":
        return []
    allowed = "blocked" if release_blocked(state, kind) else "allowed"
    return [
        Finding(
            f"SLO {objective.id}: error budget policy state is {state}; this {kind} release "
            f"is {allowed} by the policy",
            expected=f"budget remaining >= {_pct(freeze_below)}",
            found=f"{_pct(budget.remaining)} left ({budget.remaining_minutes:.1f} of "
            f"{budget.minutes:.1f} min)",
            fix="prioritise reliability work for this service until the budget recovers",
        )
    ]


@dataclass(frozen=True, slots=True)
class ConditionState:
    condition: BurnCondition
    long_rate: float | None
    short_rate: float | None

    @property
    def firing(self) -> bool:
        c = self.condition
        short_ok = c.short is None or (self.short_rate is not None and self.short_rate > c.factor)
        return self.long_rate is not None and self.long_rate > c.factor and short_ok

    def as_dict(self) -> dict[str, object]:
        return {
            "condition": self.condition.label,
            "urgency": self.condition.urgency,
            "severity": self.condition.severity_label,
            "factor": self.condition.factor,
            "long": self.condition.long,
            "short": self.condition.short,
            "long_burn_rate": _round(self.long_rate),
            "short_burn_rate": _round(self.short_rate),
            "firing": self.firing,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def conditions_now(
    rates: Mapping[str, float | None], conditions: Sequence[BurnCondition] = CONDITIONS
) -> list[ConditionState]:
    return [
        ConditionState(c, rates.get(c.long), rates.get(c.short) if c.short else None)
        for c in conditions
    ]


def _rates_text(s: ConditionState) -> str:
    c = s.condition
    text = f"{s.long_rate:.3g}x ({c.long})"
    return f"{text}, {s.short_rate:.3g}x ({c.short})" if c.short else text


def burn_findings(
    objective: Objective, states: Sequence[ConditionState], severity: str
) -> list[Finding]:
    findings = []
    for s in states:
        if s.condition.urgency != severity or not s.firing:
            continue
        c = s.condition
        over = f"over {c.long} or over {c.short}" if c.short else f"over {c.long}"
        findings.append(
            Finding(
                f"SLO {objective.id} burns its error budget {s.long_rate:.3g}x over {c.long}"
                + (f" and {s.short_rate:.3g}x over {c.short}" if c.short else "")
                + f": the {c.urgency} condition is true now ({c.label}, severity "
                f"{c.severity_label})",
                expected=f"burn rate <= {c.factor:g}x {over}",
                found=_rates_text(s),
                fix="hold the release, handle the incident, and release once the burn stops"
                if c.urgency == "page"
                else "investigate the slow burn before it exhausts the budget",
            )
        )
    return findings


def burn_data_problem(
    objective: Objective, states: Sequence[ConditionState], severity: str
) -> str | None:
    """Why the conditions of ``severity`` cannot be judged: their long windows hold no data.

    A short window without events (a quiet five minutes) is not a burn; a long window
    without any data means the SLI stopped reporting, and the check must not pass blind.
    """
    blind = [s.condition for s in states if s.condition.urgency == severity and s.long_rate is None]
    if not blind:
        return None
    windows = ", ".join(sorted({c.long for c in blind}, key=parse_duration))
    return (
        f"the SLI of {objective.id} has no data over {windows} before the evaluation time: "
        f"the {severity} burn-rate conditions cannot be judged; check that the SLI series "
        "are still scraped"
    )


@dataclass(frozen=True, slots=True)
class Episode:
    """A stretch of time during which a page condition was true (a rapid burn)."""

    start: float
    end: float
    peak: float  # highest long-window burn rate seen
    condition: str

    def as_dict(self) -> dict[str, object]:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "peak_burn_rate": round(self.peak, 3),
            "condition": self.condition,
        }


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_hit(
    series: Mapping[str, Mapping[float, float]],
    t: float,
    budget: float,
    conditions: Sequence[BurnCondition] = CONDITIONS,
) -> tuple[BurnCondition, float] | None:
    """The first page condition holding at ``t`` in the windows' error ratios, with its
    long window's burn rate; None when none holds (or a window has no value there)."""
    for c in conditions:
        if c.urgency != "page":
            continue
        long_r = series.get(c.long, {}).get(t)
        short_r = series.get(c.short, {}).get(t) if c.short else long_r
        if long_r is None or short_r is None or math.isnan(long_r) or math.isnan(short_r):
            continue
        if long_r / budget > c.factor and short_r / budget > c.factor:
            return c, long_r / budget
    return None


def rapid_burns(
    measurement: Measurement, conditions: Sequence[BurnCondition] = CONDITIONS
) -> list[Episode]:
    """Episodes in the history where a page condition held (its windows above the factor)."""
    budget = measurement.objective.budget
    series = {w: dict(points) for w, points in measurement.history.items()}
    times = sorted({t for points in series.values() for t in points})
    episodes: list[Episode] = []
    current: Episode | None = None
    for t in times:
        hit = page_hit(series, t, budget, conditions)
        if hit is not None:
            if current is None:
                current = Episode(t, t, hit[1], hit[0].label)
            else:
                current = Episode(current.start, t, max(current.peak, hit[1]), current.condition)
        elif current is not None:
            episodes.append(current)
            current = None
    if current is not None:
        episodes.append(current)
    return episodes


@dataclass(frozen=True, slots=True)
class Attestation:
    slo: str
    reference: str
    covers_until: float  # unix seconds: burns that began up to here are covered


def postmortem_findings(
    objective: Objective, episodes: Sequence[Episode], attestations: Sequence[Attestation]
) -> list[Finding]:
    mine = [a for a in attestations if a.slo in (objective.id, objective.name)]
    findings = []
    for e in episodes:
        if any(a.covers_until >= e.start for a in mine):
            continue
        findings.append(
            Finding(
                f"SLO {objective.id} burned rapidly ({e.condition}, peak {e.peak:.3g}x) from "
                f"{_iso(e.start)} to {_iso(e.end)} and no post-mortem is attested",
                expected="a post-mortem reference covering this burn before the next release",
                found="no attestation"
                if not mine
                else "attestations cover only earlier burns: "
                + ", ".join(a.reference for a in mine),
                fix=f"write the post-mortem and attest it in the profile: slo.postmortems: "
                f"[{{slo: {objective.id}, reference: <URL or ticket>, covers_until: "
                f"{_iso(e.end)}}}]",
            )
        )
    return findings


def coverage_findings(measurement: Measurement, min_coverage: float) -> list[Finding]:
    objective = measurement.objective
    if measurement.coverage >= min_coverage:
        return []
    step = format_duration(measurement.coverage_step)
    return [
        Finding(
            f"SLI data for {objective.id} covers only {_pct(measurement.coverage)} of the "
            f"{objective.window_text} window",
            expected=f">= {_pct(min_coverage)} of the {step} steps in the window have data",
            found=f"{_pct(measurement.coverage)} of {objective.window // measurement.coverage_step}"
            f" steps",
            fix="find why the SLI series have gaps (scrape failures, renamed metrics, "
            "missing recording rules); attainment over a partial window is not trustworthy",
        )
    ]


def retention_problem(objective: Objective, retention: int | None) -> str | None:
    if retention is None or retention >= objective.window:
        return None
    return (
        f"Prometheus keeps {format_duration(retention)} of data, less than the "
        f"{objective.window_text} SLO window of {objective.id}; raise "
        f"--storage.tsdb.retention.time to at least {objective.window_text}"
    )


def burn_down(measurement: Measurement) -> list[tuple[float, float]]:
    """Budget remaining (ratio) at the end of each day of the window, from the daily points.

    Each day spends ``bad / (budget * all events of the window)``, so the last point equals
    the remaining budget over the whole window.
    """
    total = sum(p.total for p in measurement.daily)
    if total <= 0:
        return []
    allowed = measurement.objective.budget * total
    spent = 0.0
    points = []
    for p in measurement.daily:
        spent += p.bad
        points.append((p.end, 1.0 - spent / allowed))
    return points


def evaluate_at_text(ts: float) -> str:
    return _iso(ts)


def lookback_seconds(objective: Objective, lookback: str | None) -> int:
    return parse_duration(lookback) if lookback else objective.window
