"""Disaster recovery: copies in a second location, RTO/RPO, restore drills against the RTO.

Pure functions over typed evidence (a bucket listing, backup sets, drill attestations);
every finding says what was expected, what was found and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.findings import Finding
from readiness.profile.operations import Attestation, RecoveryObjective
from readiness.rules.operations_backups import BackupSet
from readiness.sources.s3 import BucketListing


def _age(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    return f"{hours:.1f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


def _minutes(value: float) -> str:
    return f"{value / 60:g} h" if value >= 120 and value % 60 == 0 else f"{value:g} min"


# ---------------------------------------------------------------- offsite copies


def offsite_findings(
    backup: str,
    primary_region: str | None,
    listing: BucketListing,
    now: dt.datetime,
    max_age_hours: float,
) -> list[Finding]:
    """The newest object of the second location is young enough, in another region."""
    findings: list[Finding] = []
    where = f"{listing.location} ({listing.region})"
    if primary_region is None:
        findings.append(
            Finding(
                f"backup {backup}: the primary location's region is not declared, so the "
                f"copy in {where} cannot be shown to be elsewhere",
                expected="targets.backups[].region set (e.g. eu-west-1, or a site name)",
                found="no region on the backup location",
                fix=f"set region: on the backup location {backup!r} in targets.backups",
            )
        )
    elif primary_region.strip().lower() == listing.region.strip().lower():
        findings.append(
            Finding(
                f"backup {backup}: the offsite copy {where} is in the same region as the "
                f"primary backups ({primary_region})",
                expected=f"a copy in a region other than {primary_region}",
                found=f"offsite region {listing.region}",
                fix="replicate the backups to a bucket in another region (S3 Cross-Region "
                "Replication, rclone sync, or the backup tool's second target)",
            )
        )
    limit = dt.timedelta(hours=max_age_hours)
    newest = listing.newest
    if newest is None:
        more = "" if listing.complete else f" in the first {listing.pages} pages"
        findings.append(
            Finding(
                f"backup {backup}: no object under {where}{more}",
                expected=f"a copy at most {_age(limit)} old",
                found=f"{listing.objects} objects",
                fix="check the replication or copy job to the second location and its prefix",
            )
        )
        return findings
    age = now - newest.last_modified
    if age > limit:
        more = (
            ""
            if listing.complete
            else f" (listing cut after {listing.pages} pages; newer keys may follow)"
        )
        findings.append(
            Finding(
                f"backup {backup}: newest copy in {where} ({newest.key}) is {_age(age)} old",
                expected=f"at most {_age(limit)}",
                found=f"{_age(age)}, last modified {newest.last_modified.isoformat()}{more}",
                fix="the copy to the second location has stopped: check the replication "
                "or copy job and its credentials",
            )
        )
    return findings


def no_offsite_findings(backup: str) -> list[Finding]:
    return [
        Finding(
            f"backup {backup}: no copy in a second location declared",
            expected="an offsite copy (targets.backups[].offsite: an S3-compatible bucket "
            "in another region)",
            found="none",
            fix=f"copy the {backup} backups to a bucket in another region and declare it "
            "under offsite: (url, bucket, prefix, region, auth or anonymous)",
        )
    ]


# ------------------------------------------------------------------------ RTO / RPO


@dataclass(frozen=True, slots=True)
class BackupCadence:
    """A backup set of a service and how often it is meant to run."""

    name: str
    frequency_hours: float
    backups: BackupSet | None  # None: the backup location is not in targets.backups


def worst_gap(backups: BackupSet, now: dt.datetime, window_days: int) -> dt.timedelta | None:
    """The longest stretch without a backup in the window, up to now; None without backups."""
    if not backups.heads:
        return None
    start = now - dt.timedelta(days=window_days)
    times = sorted(b.taken_at for b in backups.backups if b.taken_at >= start)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    newest = max(b.taken_at for b in backups.heads)
    return max([*gaps, now - newest])


def rpo_findings(
    objective: RecoveryObjective,
    cadences: Sequence[BackupCadence],
    now: dt.datetime,
    window_days: int,
) -> list[Finding]:
    """Each backup of the service runs, by schedule and in fact, within the RPO."""
    service = objective.service
    rpo = dt.timedelta(minutes=objective.rpo_minutes)
    if not cadences:
        return [
            Finding(
                f"{service}: RPO {_minutes(objective.rpo_minutes)} declared but no backup "
                "named for it",
                expected="operations.dr.objectives[].backups naming its targets.backups",
                found="no backups listed",
                fix=f"list the backup locations holding {service}'s data under backups:",
            )
        ]
    findings: list[Finding] = []
    for cadence in cadences:
        if cadence.backups is None:
            findings.append(
                Finding(
                    f"{service}: backup {cadence.name!r} is not a targets.backups location",
                    expected="a backup location the suite can read",
                    found=f"no targets.backups entry named {cadence.name!r}",
                    fix="fix the name in operations.dr.objectives or declare the location",
                )
            )
            continue
        schedule = dt.timedelta(hours=cadence.frequency_hours)
        if schedule > rpo:
            findings.append(
                Finding(
                    f"{service}: backup {cadence.name} runs every {_age(schedule)}, longer "
                    f"than the RPO of {_minutes(objective.rpo_minutes)}",
                    expected=f"a backup at least every {_minutes(objective.rpo_minutes)}",
                    found=f"scheduled every {cadence.frequency_hours:g} h",
                    fix="back up more often (or continuously: WAL/binlog shipping), or "
                    "agree a longer RPO with the service owner",
                )
            )
        gap = worst_gap(cadence.backups, now, window_days)
        if gap is None:
            findings.append(
                Finding(
                    f"{service}: backup {cadence.name} has no backups, so any loss exceeds "
                    f"the RPO of {_minutes(objective.rpo_minutes)}",
                    expected="backups at least every RPO",
                    found="none",
                    fix="check that the backup job runs and writes where the profile says",
                )
            )
        elif gap > rpo and schedule <= rpo:
            findings.append(
                Finding(
                    f"{service}: backup {cadence.name} left {_age(gap)} without a backup in "
                    f"the last {window_days} days, over the RPO of "
                    f"{_minutes(objective.rpo_minutes)}",
                    expected=f"no stretch over {_minutes(objective.rpo_minutes)}",
                    found=f"longest stretch {_age(gap)} (up to now)",
                    fix="find the missed or late runs (job logs) and make the schedule hold",
                )
            )
    return findings


def no_objectives_findings() -> list[Finding]:
    return [
        Finding(
            "no recovery time or recovery point objective declared for any service",
            expected="operations.dr.objectives: service, rto_minutes, rpo_minutes, backups",
            found="none",
            fix="agree RTO and RPO with each service owner and declare them in the profile",
        )
    ]


# --------------------------------------------------------------------- restore drills


def drill_findings(
    objective: RecoveryObjective,
    drills: Sequence[Attestation],
    today: dt.date,
    max_age_days: int,
) -> list[Finding]:
    """The newest drill (``drills`` newest first) passed, is recent and was within the RTO."""
    service = objective.service
    rto = _minutes(objective.rto_minutes)
    if not drills:
        return [
            Finding(
                f"{service}: no restore drill recorded",
                expected=f"a drill within {max_age_days} days, restored within the RTO of {rto}",
                found="no attestation of OPS-DR-DRILL (or OPS-RESTORE-DRILL) for it",
                fix=f"run a restore drill of {service}, time it from outage to service "
                "restored, and attest OPS-DR-DRILL with target, date and measured_rto_minutes",
            )
        ]
    drill = drills[0]
    who = f"attested by {drill.attested_by}"
    findings: list[Finding] = []
    age = (today - drill.date).days
    if age > max_age_days or today > drill.valid_until:
        findings.append(
            Finding(
                f"{service}: last restore drill on {drill.date} ({who}) is {age} days old",
                expected=f"a drill within {max_age_days} days (and its attestation valid)",
                found=f"{age} days, valid until {drill.valid_until}",
                fix="run the drill again and attest it with the new date",
            )
        )
    if drill.status == "failed":
        findings.append(
            Finding(
                f"{service}: last restore drill on {drill.date} failed ({who}): "
                f"{drill.explanation}",
                expected="a drill that restored the service",
                found="status failed",
                fix="fix what broke the restore, then drill again",
            )
        )
    if drill.measured_rto_minutes is None:
        findings.append(
            Finding(
                f"{service}: the restore drill of {drill.date} ({who}) records no measured "
                "recovery time",
                expected=f"measured_rto_minutes within the RTO of {rto}",
                found="no measured_rto_minutes",
                fix="time the next drill from outage to service restored and attest it with "
                "measured_rto_minutes",
            )
        )
    elif drill.measured_rto_minutes > objective.rto_minutes:
        findings.append(
            Finding(
                f"{service}: the restore drill of {drill.date} took "
                f"{_minutes(drill.measured_rto_minutes)}, over the RTO of {rto}",
                expected=f"restored within {rto}",
                found=f"{_minutes(drill.measured_rto_minutes)} ({who})",
                fix="speed up the restore (smaller or parallel restores, warm standby, "
                "runbook automation) until a drill meets the RTO, or agree a longer RTO",
            )
        )
    return findings
