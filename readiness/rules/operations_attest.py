"""Manual attestations: judged by date, never mistaken for automated evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from readiness.findings import Finding
from readiness.profile.operations import Attestation


def attestations_for(
    attestations: Iterable[Attestation], control_id: str, target: str = "*"
) -> list[Attestation]:
    """The attestations of a control (for one target, or for all), newest first."""
    found = [
        a
        for a in attestations
        if a.control == control_id and (a.target == "*" or target == "*" or a.target == target)
    ]
    return sorted(found, key=lambda a: a.date, reverse=True)


def attestation_evidence(att: Attestation, today: dt.date) -> dict[str, Any]:
    """How an attestation shows in the report: marked as a human statement."""
    shown: dict[str, Any] = {
        "kind": "attestation",
        "control": att.control,
        "target": att.target,
        "status": att.status,
        "explanation": att.explanation,
        "attested_by": att.attested_by,
        "date": att.date.isoformat(),
        "frequency": att.frequency,
        "valid_until": att.valid_until.isoformat(),
        "expired": today > att.valid_until,
        **(
            {"measured_rto_minutes": att.measured_rto_minutes}
            if att.measured_rto_minutes is not None
            else {}
        ),
    }
    if att.release:
        shown["release"] = att.release
    return shown


def judge_attestation(
    control_id: str,
    attestations: Sequence[Attestation],
    today: dt.date,
    *,
    required: bool = True,
    max_age_days: int | None = None,
    what: str = "",
) -> list[Finding]:
    """Findings for the newest attestation of a control (``attestations`` newest first).

    ``required``: a missing attestation is a finding. ``max_age_days``: the attested
    activity (e.g. a restore drill) must have happened within that many days.
    """
    subject = what or f"control {control_id}"
    if not attestations:
        if not required:
            return []
        return [
            Finding(
                f"no attestation for {subject}",
                expected=f"an attestation of {control_id} in the profile's attestations:",
                found="none",
                fix=f"attest {control_id}: control, status, explanation, attested_by, date, "
                "frequency or expires",
            )
        ]
    att = attestations[0]
    who = att.attested_by
    findings: list[Finding] = []
    if att.date > today:
        findings.append(
            Finding(
                f"attestation of {control_id} by {who} is dated in the future ({att.date})",
                expected=f"a date on or before {today}",
                found=att.date.isoformat(),
                fix="correct the attestation's date",
            )
        )
    if today > att.valid_until:
        days = (today - att.valid_until).days
        findings.append(
            Finding(
                f"attestation of {control_id} by {who} (dated {att.date}) expired on "
                f"{att.valid_until}, {days} day{'s' if days != 1 else ''} ago",
                expected=f"an attestation valid on {today}",
                found=f"valid until {att.valid_until}",
                fix=f"{who} (or the control's current owner) must re-attest {control_id} "
                "with a new date",
            )
        )
    if max_age_days is not None and (today - att.date).days > max_age_days:
        findings.append(
            Finding(
                f"{subject} last done on {att.date} (attested by {who}), "
                f"{(today - att.date).days} days ago",
                expected=f"within {max_age_days} days",
                found=f"{(today - att.date).days} days",
                fix=f"do it again and have {who} attest {control_id} with the new date",
            )
        )
    if att.status == "failed":
        findings.append(
            Finding(
                f"{subject} attested as failed by {who} on {att.date}: {att.explanation}",
                expected="status passed",
                found="status failed",
                fix="fix the practice, then re-attest with status passed",
            )
        )
    return findings
