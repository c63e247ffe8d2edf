"""Backups: freshness, retention without gaps, sizes that do not collapse."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.findings import Finding


@dataclass(frozen=True, slots=True)
class Backup:
    name: str
    taken_at: dt.datetime
    size: int | None = None


@dataclass(frozen=True, slots=True)
class BackupSet:
    """The backups of one location, oldest first."""

    location: str
    kind: str  # "directory" or "metric"
    backups: tuple[Backup, ...]
    heads: tuple[Backup, ...] = ()  # the newest backup of each series (one for a directory)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def freshness(
    backups: BackupSet, now: dt.datetime, frequency_hours: float, grace_hours: float
) -> list[Finding]:
    limit = dt.timedelta(hours=frequency_hours + grace_hours)
    if not backups.heads:
        return [
            Finding(
                f"no backup found for {backups.location}",
                expected=f"a backup at least every {frequency_hours:g} h",
                found="none",
                fix="check that the backup job runs and writes where the profile says",
            )
        ]
    findings: list[Finding] = []
    for newest in backups.heads:
        findings += _fresh(backups.location, newest, now, limit, frequency_hours, grace_hours)
    return findings


def _fresh(
    location: str,
    newest: Backup,
    now: dt.datetime,
    limit: dt.timedelta,
    frequency_hours: float,
    grace_hours: float,
) -> list[Finding]:
    age = now - newest.taken_at
    if age < -dt.timedelta(minutes=5):
        return [
            Finding(
                f"newest backup of {location} ({newest.name}) is dated in the future "
                f"({newest.taken_at.isoformat()})",
                expected=f"a time before {now.isoformat()}",
                found=newest.taken_at.isoformat(),
                fix="fix the clock of the backup host or the timestamp in the file names",
            )
        ]
    if age > limit:
        return [
            Finding(
                f"newest backup of {location} ({newest.name}) is {_hours(age)} old",
                expected=f"at most {_hours(limit)} (every {frequency_hours:g} h "
                f"+ {grace_hours:g} h grace)",
                found=f"{_hours(age)}, taken {newest.taken_at.isoformat()}",
                fix="the backup job has stopped or is failing: check its logs and run it",
            )
        ]
    return []


def retention(
    backups: BackupSet,
    now: dt.datetime,
    retention_days: int,
    frequency_hours: float,
    grace_hours: float,
) -> list[Finding]:
    """The backups reach back ``retention_days`` and no run is missing on the way."""
    if not backups.backups:
        return [
            Finding(
                f"no backup found for {backups.location}",
                expected=f"backups covering {retention_days} days",
                found="none",
                fix="check that the backup job runs and that old backups are kept",
            )
        ]
    findings: list[Finding] = []
    window_start = now - dt.timedelta(days=retention_days)
    step = dt.timedelta(hours=frequency_hours)
    oldest = backups.backups[0]
    if oldest.taken_at > window_start + step:
        covered = now - oldest.taken_at
        findings.append(
            Finding(
                f"backups of {backups.location} reach back only {_hours(covered)}",
                expected=f"backups reaching back {retention_days} days (to {window_start.date()})",
                found=f"oldest: {oldest.name}, taken {oldest.taken_at.isoformat()}",
                fix="keep backups for the whole retention period (check the pruning job)",
            )
        )
    max_gap = dt.timedelta(hours=frequency_hours + grace_hours)
    in_window = [b for b in backups.backups if b.taken_at >= window_start - step]
    gaps = [(a, b) for a, b in itertools.pairwise(in_window) if b.taken_at - a.taken_at > max_gap]
    if gaps:
        shown = ", ".join(
            f"{a.taken_at:%Y-%m-%d %H:%M} -> {b.taken_at:%Y-%m-%d %H:%M} "
            f"({_hours(b.taken_at - a.taken_at)})"
            for a, b in gaps[:5]
        )
        more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
        findings.append(
            Finding(
                f"backups of {backups.location} have {len(gaps)} gap"
                f"{'s' if len(gaps) > 1 else ''} in the last {retention_days} days",
                expected=f"one backup at least every {_hours(max_gap)}",
                found=shown + more,
                fix="find out why those runs failed; a restore to a point inside a gap "
                "loses up to the whole gap",
            )
        )
    return findings


def size_collapse(backups: BackupSet, ratio: float, baseline: int) -> list[Finding]:
    """The newest backup is not much smaller than the median of the ones before it."""
    sized = [(b, b.size) for b in backups.backups if b.size is not None]
    if not sized:
        return []
    newest, size = sized[-1]
    if size == 0:
        return [
            Finding(
                f"newest backup of {backups.location} ({newest.name}) is empty",
                expected="a non-empty backup",
                found="0 bytes",
                fix="inspect the backup job: it reports success but writes nothing",
            )
        ]
    previous = [s for _, s in sized[-1 - baseline : -1]]
    if not previous:
        return []
    median = statistics.median(previous)
    if size < ratio * median:
        return [
            Finding(
                f"newest backup of {backups.location} ({newest.name}) is {size} bytes, "
                f"{size / median:.0%} of the median of the {len(previous)} before it",
                expected=f"at least {ratio:.0%} of {median:.0f} bytes",
                found=f"{size} bytes",
                fix="check the newest backup is complete (restore it); a cleanup that "
                "really shrank the data can be accepted with a waiver",
            )
        ]
    return []


def size_summary(backups: Sequence[Backup]) -> list[dict[str, object]]:
    return [{"name": b.name, "taken_at": b.taken_at.isoformat(), "size": b.size} for b in backups]
