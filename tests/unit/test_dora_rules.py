"""DORA-OPEN-INCIDENT: open incidents declared by hand block a feature release."""

from __future__ import annotations

import datetime as dt

from readiness.controls import catalogue
from readiness.dora.model import Incident
from readiness.rules.dora import open_incident_findings

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def incident(
    ident: str, source: str = "manual", resolved: dt.datetime | None = None, service: str = "cart"
) -> Incident:
    return Incident(
        ident,
        service,
        "production",
        NOW - dt.timedelta(hours=3),
        severity="SEV1",
        title="checkout errors",
        resolved_at=resolved,
        deployment_id="d7",
        source=source,
    )


def test_open_manual_incident_blocks_a_feature_release() -> None:
    (finding,) = open_incident_findings("cart", [incident("INC-1")], "feature", NOW)
    assert finding.message == (
        "incident INC-1 (SEV1) on cart in production is open since 2026-11-24T09:00:00Z "
        "(3.0 h): checkout errors"
    )
    assert finding.found == "open incident INC-1, linked to deployment d7"
    assert "readiness dora incident resolve INC-1" in finding.fix


def test_fix_release_gate_incidents_resolved_and_other_services_pass() -> None:
    assert open_incident_findings("cart", [incident("INC-1")], "fix", NOW) == []
    assert open_incident_findings("cart", [incident("g", source="gate")], "feature", NOW) == []
    assert open_incident_findings("cart", [incident("r", resolved=NOW)], "feature", NOW) == []
    assert open_incident_findings("cart", [incident("o", service="pay")], "feature", NOW) == []


def test_control_is_in_the_catalogue() -> None:
    control = catalogue()["DORA-OPEN-INCIDENT"]
    assert (control.family, control.severity.label) == ("dora", "high")
