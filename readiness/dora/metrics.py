"""The five DORA metrics, computed from recorded deployments and incidents.

Pure functions: no I/O and no clock; the end of the window (``now``) is a parameter, so
every number is reproducible. :data:`DEFINITIONS` is the text the CLI and the docs show.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from readiness.dora.model import Deployment, DeploymentKind, Incident, iso

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY

DEFINITIONS = """\
Window: the DAYS days up to now, both ends included. Deployments are the successful ones
recorded (a gate that passed with --record-deployment, or `readiness dora deployment`).

deployment frequency  deployments in the window / DAYS (also per week).
                      elite >= 1 a day (on demand), high >= 1 a week,
                      medium >= 1 a month, low below that.
lead time for changes deploy time - commit time, per deployment in the window with a
                      known commit time; from the EARLIEST commit of the change when
                      the commit range is known. Median and p90 (nearest rank).
                      Median: elite < 1 day, high <= 1 week, medium <= 1 month, low above.
change failure rate   deployments in the window that caused an incident (an incident is
                      linked to the deployment) / deployments in the window.
                      elite <= 5 %, high <= 10 %, medium <= 15 %, low above.
time to restore       resolve time - open time, per incident RESOLVED in the window (it
                      may have opened before the window). Median; still-open incidents
                      are counted apart. elite < 1 hour, high < 1 day,
                      medium < 1 week, low above.
rework rate           unplanned deployments (rollbacks and hotfixes) / deployments in
                      the window. The DORA 2024 report publishes no levels for it.

Levels follow the performance clusters of the DORA State of DevOps reports (2023; the
2024 report keeps the throughput and lead-time buckets; its change-failure values are not
monotonic across clusters, so the 2023 ones are used). Each metric states its sample
size; a metric without samples has no value and no level."""


class Level(StrEnum):
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


LEVEL_SCORE = {Level.ELITE: 4, Level.HIGH: 3, Level.MEDIUM: 2, Level.LOW: 1}


def frequency_level(per_day: float) -> Level:
    if per_day >= 1:
        return Level.ELITE
    if per_day * 7 >= 1:
        return Level.HIGH
    if per_day * 30 >= 1:
        return Level.MEDIUM
    return Level.LOW


def lead_time_level(median_s: float) -> Level:
    if median_s < DAY:
        return Level.ELITE
    if median_s <= WEEK:
        return Level.HIGH
    if median_s <= MONTH:
        return Level.MEDIUM
    return Level.LOW


def failure_rate_level(rate: float) -> Level:
    if rate <= 0.05:
        return Level.ELITE
    if rate <= 0.10:
        return Level.HIGH
    if rate <= 0.15:
        return Level.MEDIUM
    return Level.LOW


def restore_level(median_s: float) -> Level:
    if median_s < HOUR:
        return Level.ELITE
    if median_s < DAY:
        return Level.HIGH
    if median_s < WEEK:
        return Level.MEDIUM
    return Level.LOW


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def mean(values: Sequence[float]) -> float | None:
    return float(statistics.fmean(values)) if values else None


def by_severity(restored: Sequence[tuple[str, float]]) -> tuple[SeverityRestore, ...]:
    """Mean, median and p90 time to restore per severity, in severity-name order."""
    groups: dict[str, list[float]] = {}
    for severity, seconds in restored:
        groups.setdefault(severity, []).append(seconds)
    return tuple(
        SeverityRestore(name, len(v), mean(v), median(v), percentile(v, 90))
        for name, v in sorted(groups.items())
    )


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of values <= it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass(frozen=True, slots=True)
class Frequency:
    deployments: int
    per_day: float
    per_week: float
    level: Level | None  # None without a deployment: no data, not "low"


@dataclass(frozen=True, slots=True)
class LeadTime:
    sample: int
    median_s: float | None
    p90_s: float | None
    level: Level | None


@dataclass(frozen=True, slots=True)
class FailureRate:
    sample: int
    failed: int
    rate: float | None
    level: Level | None


@dataclass(frozen=True, slots=True)
class SeverityRestore:
    """Time to restore of the incidents of one severity ("unset" when none was given)."""

    severity: str
    sample: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "sample": self.sample,
            "mean_seconds": _round(self.mean_s),
            "median_seconds": _round(self.median_s),
            "p90_seconds": _round(self.p90_s),
        }


@dataclass(frozen=True, slots=True)
class Restore:
    sample: int
    median_s: float | None
    p90_s: float | None
    still_open: int
    level: Level | None
    mean_s: float | None = None  # "mean time to recovery", as the practices name it
    by_severity: tuple[SeverityRestore, ...] = ()


@dataclass(frozen=True, slots=True)
class Rework:
    sample: int
    rollbacks: int
    hotfixes: int
    rate: float | None


@dataclass(frozen=True, slots=True)
class DoraMetrics:
    since: dt.datetime
    until: dt.datetime
    days: float
    services: tuple[str, ...]
    environment: str | None
    deployment_frequency: Frequency
    lead_time: LeadTime
    change_failure_rate: FailureRate
    time_to_restore: Restore
    rework_rate: Rework

    def as_dict(self) -> dict[str, object]:
        f, lt, cfr, ttr, rw = (
            self.deployment_frequency,
            self.lead_time,
            self.change_failure_rate,
            self.time_to_restore,
            self.rework_rate,
        )
        return {
            "window": {"since": iso(self.since), "until": iso(self.until), "days": self.days},
            "services": list(self.services),
            "environment": self.environment,
            "deployment_frequency": {
                "deployments": f.deployments,
                "per_day": _round(f.per_day),
                "per_week": _round(f.per_week),
                "sample": f.deployments,
                "level": _level(f.level),
            },
            "lead_time": {
                "median_seconds": _round(lt.median_s),
                "p90_seconds": _round(lt.p90_s),
                "sample": lt.sample,
                "level": _level(lt.level),
            },
            "change_failure_rate": {
                "rate": _round(cfr.rate),
                "failed_deployments": cfr.failed,
                "sample": cfr.sample,
                "level": _level(cfr.level),
            },
            "time_to_restore": {
                "mean_seconds": _round(ttr.mean_s),
                "median_seconds": _round(ttr.median_s),
                "p90_seconds": _round(ttr.p90_s),
                "sample": ttr.sample,
                "still_open": ttr.still_open,
                "level": _level(ttr.level),
                "by_severity": {r.severity: r.as_dict() for r in ttr.by_severity},
            },
            "rework_rate": {
                "rate": _round(rw.rate),
                "rollbacks": rw.rollbacks,
                "hotfixes": rw.hotfixes,
                "sample": rw.sample,
                "level": None,
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _level(level: Level | None) -> str | None:
    return None if level is None else level.value


def compute(
    deployments: Iterable[Deployment],
    incidents: Iterable[Incident],
    now: dt.datetime,
    days: float = 30,
    services: Sequence[str] = (),
    environment: str | None = None,
) -> DoraMetrics:
    """The five metrics over the ``days`` up to ``now``. Inputs may be a superset of the
    window, services and environment: they are filtered here."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    since = now - dt.timedelta(days=days)
    wanted = set(services)

    def keep(service: str, env: str) -> bool:
        return (not wanted or service in wanted) and (environment is None or env == environment)

    window = [
        d for d in deployments if since <= d.deployed_at <= now and keep(d.service, d.environment)
    ]
    relevant = [i for i in incidents if keep(i.service, i.environment)]

    n = len(window)
    per_day = n / days
    frequency = Frequency(n, per_day, per_day * 7, frequency_level(per_day) if n else None)

    leads = [
        max(0.0, (d.deployed_at - start).total_seconds())
        for d in window
        if (start := d.change_started) is not None
    ]
    lead_median = median(leads)
    lead = LeadTime(
        len(leads),
        lead_median,
        percentile(leads, 90),
        None if lead_median is None else lead_time_level(lead_median),
    )

    caused = {i.deployment_id for i in relevant if i.deployment_id is not None}
    failed = sum(1 for d in window if d.id in caused)
    rate = failed / n if n else None
    cfr = FailureRate(n, failed, rate, None if rate is None else failure_rate_level(rate))

    restored = [
        (i.severity or "unset", (i.resolved_at - i.opened_at).total_seconds())
        for i in relevant
        if i.resolved_at is not None and since <= i.resolved_at <= now
    ]
    restores = [seconds for _, seconds in restored]
    still_open = sum(
        1 for i in relevant if i.opened_at <= now and (i.resolved_at is None or i.resolved_at > now)
    )
    restore_median = median(restores)
    restore = Restore(
        len(restores),
        restore_median,
        percentile(restores, 90),
        still_open,
        None if restore_median is None else restore_level(restore_median),
        mean(restores),
        by_severity(restored),
    )

    rollbacks = sum(1 for d in window if d.kind is DeploymentKind.ROLLBACK)
    hotfixes = sum(1 for d in window if d.kind is DeploymentKind.HOTFIX)
    rework = Rework(n, rollbacks, hotfixes, (rollbacks + hotfixes) / n if n else None)

    return DoraMetrics(
        since=since,
        until=now,
        days=days,
        services=tuple(services),
        environment=environment,
        deployment_frequency=frequency,
        lead_time=lead,
        change_failure_rate=cfr,
        time_to_restore=restore,
        rework_rate=rework,
    )


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the trend: the week ending at ``until``."""

    until: dt.datetime
    deployments: int
    lead_time_median_s: float | None
    change_failure_rate: float | None
    time_to_restore_median_s: float | None
    rework_rate: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "week_ending": iso(self.until),
            "deployments": self.deployments,
            "lead_time_median_seconds": _round(self.lead_time_median_s),
            "change_failure_rate": _round(self.change_failure_rate),
            "time_to_restore_median_seconds": _round(self.time_to_restore_median_s),
            "rework_rate": _round(self.rework_rate),
        }


def weekly(
    deployments: Sequence[Deployment],
    incidents: Sequence[Incident],
    now: dt.datetime,
    weeks: int = 8,
    services: Sequence[str] = (),
    environment: str | None = None,
) -> list[WeekPoint]:
    """Weekly points, oldest first: week k ends 7k days before ``now``."""
    # Bucket once: week k holds deployments aged [7k, 7(k+1)) days, so a deployment exactly
    # on a week boundary belongs to the earlier week only.
    buckets: list[list[Deployment]] = [[] for _ in range(weeks)]
    for d in deployments:
        age = (now - d.deployed_at).total_seconds()
        if age < 0:
            continue
        k = math.floor(age / WEEK)
        if k < weeks:
            buckets[k].append(d)
    points = []
    for k in range(weeks - 1, -1, -1):
        until = now - dt.timedelta(days=7 * k)
        m = compute(buckets[k], incidents, until, 7, services, environment)
        points.append(
            WeekPoint(
                until,
                m.deployment_frequency.deployments,
                m.lead_time.median_s,
                m.change_failure_rate.rate,
                m.time_to_restore.median_s,
                m.rework_rate.rate,
            )
        )
    return points


def describe_duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * HOUR:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / DAY:.1f} d"


def describe_rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f} %"
