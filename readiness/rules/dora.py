"""DORA rules (pure): judge recorded incidents for a release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.dora.metrics import describe_duration
from readiness.dora.model import GateRun, Incident, iso
from readiness.findings import Finding
from readiness.profile.dora import SeverityLevel


def _blocks(incident: Incident, scale: Sequence[SeverityLevel]) -> tuple[bool, str]:
    """Whether an open incident blocks a feature release, and what its level says."""
    level = next((s for s in scale if s.name.upper() == incident.severity.upper()), None)
    if level is None:  # no or an unknown severity: cannot tell it is minor
        named = ", ".join(s.name for s in scale)
        given = incident.severity or "no severity"
        return True, f"{given} is not on the severity scale ({named}), so it blocks"
    return level.blocks_feature_release, (
        f"{level.name} blocks a feature release; its resolve target is "
        f"{describe_duration(level.resolve_hours * 3600)}"
    )


def open_incident_findings(
    service: str,
    incidents: Sequence[Incident],
    release_kind: str,
    now: dt.datetime,
    scale: Sequence[SeverityLevel],
) -> list[Finding]:
    """Open incidents declared by hand on ``service`` of a level that blocks (SEV1 and
    SEV2 by default, or no/unknown severity) block a feature release. Incidents the gate
    opened itself do not (the release's own live checks judge those), and a fix release
    is how an incident is remedied."""
    if release_kind == "fix":
        return []
    findings: list[Finding] = []
    for i in incidents:
        if i.service != service or i.source != "manual" or i.resolved_at is not None:
            continue
        blocks, why = _blocks(i, scale)
        if not blocks:
            continue
        findings.append(
            Finding(
                f"incident {i.id} ({i.severity or 'no severity'}) on {service} in "
                f"{i.environment} is open since {iso(i.opened_at)} "
                f"({describe_duration((now - i.opened_at).total_seconds())})"
                + (f": {i.title}" if i.title else ""),
                expected="no open incident of a blocking severity on the service before a "
                "feature release",
                found=f"open incident {i.id}"
                + (f", linked to deployment {i.deployment_id}" if i.deployment_id else "")
                + f"; {why}",
                fix=f"resolve it (readiness dora incident resolve {i.id}) or release the "
                "remedy with release.kind: fix",
            )
        )
    return findings


def staging_first_findings(
    version: str,
    staging: str,
    passed: Sequence[GateRun],
    since: dt.datetime,
) -> list[Finding]:
    """The release version passed a full gate in ``staging`` since ``since`` (``passed``
    are the store's passed runs of that version there in the window)."""
    if not version:
        return [
            Finding(
                "the release has no version, so no staging run can be matched to it",
                expected=f"release.version set, and passed in {staging} first",
                found="release.version is empty",
                fix="set release.version in the profile (the same value in staging)",
            )
        ]
    if passed:
        return []
    return [
        Finding(
            f"version {version} has no passed gate run in {staging} since {iso(since)}",
            expected=f"a full gate run of {version} that passed in {staging} after {iso(since)}",
            found="no such run in the DORA store (failed, partial or older runs do not count)",
            fix=f"run the full gate with release.version: {version} against {staging} "
            "and fix what it finds, then gate production",
        )
    ]


@dataclass(frozen=True, slots=True)
class PostmortemDue:
    """One resolved incident that needs a post-mortem, and where it stands."""

    incident: Incident
    due: dt.datetime
    state: str  # "linked", "linked late", "due" (not yet), "overdue"


def needs_postmortem(incident: Incident, severities: Sequence[str], scale: Sequence[str]) -> bool:
    """An incident of one of ``severities``, or of no or an unknown severity (it cannot be
    told minor), needs a post-mortem."""
    level = incident.severity.upper()
    return (
        not level
        or level not in {s.upper() for s in scale}
        or (level in {s.upper() for s in severities})
    )


def postmortems_due(
    incidents: Sequence[Incident],
    severities: Sequence[str],
    scale: Sequence[str],
    due_days: float,
    now: dt.datetime,
    include_gate: bool = False,
) -> list[PostmortemDue]:
    """Resolved incidents that need a post-mortem (see :func:`needs_postmortem`; those
    a gate run opened only with ``include_gate``), with their state, oldest first."""
    out: list[PostmortemDue] = []
    for i in incidents:
        if i.resolved_at is None or (i.source != "manual" and not include_gate):
            continue
        if not needs_postmortem(i, severities, scale):
            continue
        due = i.resolved_at + dt.timedelta(days=due_days)
        if i.postmortem_url:
            late = i.postmortem_at is not None and i.postmortem_at > due
            state = "linked late" if late else "linked"
        else:
            state = "overdue" if now > due else "due"
        out.append(PostmortemDue(i, due, state))
    return sorted(out, key=lambda p: (p.due, p.incident.id))


def postmortem_findings(
    service: str, due: Sequence[PostmortemDue], due_days: float, now: dt.datetime
) -> list[Finding]:
    """One finding per incident whose post-mortem is overdue (none linked ``due_days``
    after resolution)."""
    findings: list[Finding] = []
    for p in due:
        if p.state != "overdue":
            continue
        i = p.incident
        late = describe_duration((now - p.due).total_seconds())
        findings.append(
            Finding(
                f"incident {i.id} ({i.severity or 'no severity'}) on {service} in "
                f"{i.environment}, resolved {iso(i.resolved_at)}, has no post-mortem, "
                f"{late} past its due date" + (f": {i.title}" if i.title else ""),
                expected=f"a post-mortem linked within {due_days:g} days of resolution "
                f"(by {iso(p.due)})",
                found="no post-mortem link in the DORA store",
                fix=f"write the post-mortem and link it: readiness dora incident "
                f"postmortem {i.id} URL",
            )
        )
    return findings
