"""DORA rules (pure): judge recorded incidents for a release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from readiness.dora.metrics import describe_duration
from readiness.dora.model import Incident, iso
from readiness.findings import Finding


def open_incident_findings(
    service: str, incidents: Sequence[Incident], release_kind: str, now: dt.datetime
) -> list[Finding]:
    """Open incidents declared by hand on ``service`` block a feature release. Incidents
    the gate opened itself do not (the release's own live checks judge those), and a fix
    release is how an incident is remedied."""
    if release_kind == "fix":
        return []
    return [
        Finding(
            f"incident {i.id} ({i.severity or 'no severity'}) on {service} in "
            f"{i.environment} is open since {iso(i.opened_at)} "
            f"({describe_duration((now - i.opened_at).total_seconds())})"
            + (f": {i.title}" if i.title else ""),
            expected="no open incident on the service before a feature release",
            found=f"open incident {i.id}"
            + (f", linked to deployment {i.deployment_id}" if i.deployment_id else ""),
            fix=f"resolve it (readiness dora incident resolve {i.id}) or release the "
            "remedy with release.kind: fix",
        )
        for i in incidents
        if i.service == service and i.source == "manual" and i.resolved_at is None
    ]
